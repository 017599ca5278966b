// The signal and the parameter rules of CONTRACT.md section 5, checked against
// values worked out by hand from the contract's C definitions.
import { describe, expect, it } from 'vitest';
import { SHM_STREAM_MAX_BATCH, SHM_STREAM_MAX_RATE, SHM_STREAM_MAX_TICK_HZ, streamCheck, streamSample } from './device.js';
import { defaultBatch, shmStreamCheck, shmStreamSample, streamParameterProblem } from './stream-signal.js';

describe('shm_stream_sample', () => {
  it('is a triangle of period 1000 from -16000 to 16000', () => {
    expect(shmStreamSample(0)).toBe(-16000);
    expect(shmStreamSample(1)).toBe(-15936);
    expect(shmStreamSample(499)).toBe(-16000 + 64 * 499);
    expect(shmStreamSample(500)).toBe(16000);
    expect(shmStreamSample(999)).toBe(16000 - 64 * 499);
    expect(shmStreamSample(1000)).toBe(-16000);
    expect(shmStreamSample(2 ** 40 + 250)).toBe(shmStreamSample((2 ** 40 + 250) % 1000));
  });
});

describe('shm_stream_check', () => {
  // device.ts's u64 mirror is held to the C header by linux-abi.test.ts.
  it.each([0n, 1n, 499n, 500n, 123456789n, 2n ** 32n - 1n, 2n ** 32n + 7n, 2n ** 52n + 3n])('matches the u64 mirror at %s', (seq) => {
    const sample = shmStreamSample(Number(seq));
    expect(sample).toBe(streamSample(seq));
    expect(shmStreamCheck(Number(seq), sample)).toBe(streamCheck(seq, sample));
  });

  it('is 0x5A5A5A5A ^ (u32)-16000 for record 0', () => {
    expect(shmStreamCheck(0, -16000)).toBe((0x5a5a5a5a ^ (-16000 >>> 0)) >>> 0);
  });
});

describe('stream parameters (5.4, first row)', () => {
  it.each([
    [0, 1],
    [SHM_STREAM_MAX_RATE + 1, SHM_STREAM_MAX_BATCH],
    [100, 0],
    [100, 101],
    [SHM_STREAM_MAX_RATE, SHM_STREAM_MAX_BATCH + 1],
    [SHM_STREAM_MAX_TICK_HZ * 2 + 1, 2],
    [1.5, 1],
  ])('refuses rate %s batch %s', (rate, batch) => {
    expect(streamParameterProblem(rate, batch)).not.toBeNull();
  });

  it.each([1, 999, 1000, 1001, 60_000, 1_000_000, SHM_STREAM_MAX_RATE])('the default batch at %s records/s is valid', (rate) => {
    expect(streamParameterProblem(rate, defaultBatch(rate))).toBeNull();
  });
});
