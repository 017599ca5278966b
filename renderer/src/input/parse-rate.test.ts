import { describe, expect, it } from 'vitest';
import { parseRate } from './parse-rate.js';

describe('parseRate', () => {
  it.each([
    ['1000', 1000],
    [' 60k ', 60_000],
    ['1M', 1_000_000],
    ['100000000', 100_000_000],
    ['1_000', 1000],
  ])('%s -> %s', (text, value) => {
    expect(parseRate(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['0', 'The rate must be at least 1 record/s.'],
    ['100000001', 'The rate must be at most 100000000 records/s.'],
    ['2M00', '"2M00" is not a rate: use records per second, e.g. 1000, 60k or 1M.'],
    ['-5', '"-5" is not a rate: use records per second, e.g. 1000, 60k or 1M.'],
    ['1.5k', '"1.5k" is not a rate: use records per second, e.g. 1000, 60k or 1M.'],
    ['', '"" is not a rate: use records per second, e.g. 1000, 60k or 1M.'],
  ])('%s is refused', (text, message) => {
    expect(parseRate(text)).toEqual({ ok: false, message });
  });
});
