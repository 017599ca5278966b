// Streaming's signal and rules on the app's hot path (CONTRACT.md 5.1, 5.4):
// shm_stream_sample/shm_stream_check on plain numbers (the consumer checks a
// million records a second; device.ts's streamSample/streamCheck are the
// exact u64 mirror of the header, and stream-signal.test.ts holds these to
// them), the rate/batch rules of STREAM_START, and the batch the app asks for.
import { SHM_STREAM_MAX_BATCH, SHM_STREAM_MAX_RATE, SHM_STREAM_MAX_TICK_HZ } from './device.js';

/** shm_stream_sample for sequences below 2^53: a triangle wave, period 1000 records, -16000 up to 16000 and back. */
export function shmStreamSample(sequence: number): number {
  const p = sequence % 1000;
  return p < 500 ? -16000 + 64 * p : 16000 - 64 * (p - 500);
}

/**
 * shm_stream_check: (u32)(sequence * 2654435761u) ^ (u32)sample ^ 0x5A5A5A5A.
 * The low 32 bits of a product depend only on the low 32 bits of its factors,
 * so the u64 multiplication is Math.imul on the sequence's low word.
 */
export function shmStreamCheck(sequence: number, sample: number): number {
  const low = sequence % 2 ** 32;
  return (Math.imul(low, 2654435761 | 0) ^ sample ^ 0x5a5a5a5a) >>> 0;
}

/** The rate/batch rules of 5.4's first row; null when valid, else what is wrong. */
export function streamParameterProblem(rateHz: number, batch: number): string | null {
  if (!Number.isInteger(rateHz) || rateHz < 1 || rateHz > SHM_STREAM_MAX_RATE)
    return `the rate must be 1..${SHM_STREAM_MAX_RATE} records/s`;
  if (!Number.isInteger(batch) || batch < 1 || batch > Math.min(rateHz, SHM_STREAM_MAX_BATCH))
    return `the batch must be 1..${Math.min(rateHz, SHM_STREAM_MAX_BATCH)} records`;
  if (rateHz > batch * SHM_STREAM_MAX_TICK_HZ)
    return `rate ${rateHz} needs a batch of at least ${Math.ceil(rateHz / SHM_STREAM_MAX_TICK_HZ)}`;
  return null;
}

/**
 * The batch the app asks for at a rate: about `tickHz` producer ticks per
 * second (fewer at low rates, one record per tick), within the driver's
 * limits. A tick may catch up 4 x batch records, so a producer rides out a
 * stall of three tick periods without a drop.
 */
export function defaultBatch(rateHz: number, tickHz = DEFAULT_TICK_HZ): number {
  return Math.min(SHM_STREAM_MAX_BATCH, Math.max(1, Math.ceil(rateHz / tickHz)));
}

/**
 * 20 ticks a second: a producer may then stall 150 ms without a drop (a
 * loaded machine, a TCG guest, the simulated driver's timer on the event
 * loop). Latency is measured from each record's timestamp_ns, so batching
 * does not add to it; the window draws at most 30 times a second anyway.
 */
export const DEFAULT_TICK_HZ = 20;
