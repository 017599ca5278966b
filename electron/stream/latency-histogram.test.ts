import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('has no percentile before any record', () => {
    expect(new LatencyHistogram().percentile(0.5)).toBeNull();
  });

  it('is exact below 16 ns and within 1/16 above', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 10_000; v++) h.record(v * 1000); // 1 us .. 10 ms, uniform
    const p50 = h.percentile(0.5) ?? 0;
    const p99 = h.percentile(0.99) ?? 0;
    expect(Math.abs(p50 - 5_000_000) / 5_000_000).toBeLessThan(1 / 16);
    expect(Math.abs(p99 - 9_900_000) / 9_900_000).toBeLessThan(1 / 16);
    const small = new LatencyHistogram();
    [3, 3, 7, 9].forEach((v) => small.record(v));
    expect(small.percentile(0.5)).toBe(3);
    expect(small.percentile(1)).toBe(9);
  });

  it('never reports more than the largest value seen, and clamps absurd ones', () => {
    const h = new LatencyHistogram();
    h.record(1_000_001);
    expect(h.percentile(0.99)).toBeLessThanOrEqual(1_000_001);
    h.record(-5); // a timestamp from the future: counted as 0
    h.record(1e12);
    expect(h.count).toBe(3);
    expect(h.percentile(1)).toBe(0xffff_ffff);
    h.reset();
    expect(h.percentile(0.5)).toBeNull();
  });
});
