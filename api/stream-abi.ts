// Streaming's numbers (CONTRACT.md section 5, driver 1.1): the two control
// codes, struct shm_stream_start, struct shm_ring and struct shm_record, and
// the signal every consumer verifies. They follow the contract's text; the
// header-mirror test in electron/backends/ compares them with the C header.

/** QUERY's `features` (the former `reserved`): bit 0 says the driver streams. */
export const SHM_FEATURE_STREAM = 0x1;
/** driver_version of a driver that streams: 1.1. */
export const SHM_STREAM_DRIVER_VERSION = (1 << 16) | 1;
export const SHM_RING_MAGIC = 0x474e4952;
export const SHM_RING_VERSION = 1;
export const SHM_RING_RUNNING = 1;
export const SHM_RING_STOPPED = 2;
export const SHM_RING_FAULTED = 3;
export const SHM_STREAM_MAX_RATE = 100_000_000;
export const SHM_STREAM_MAX_BATCH = 16384;
export const SHM_STREAM_MAX_TICK_HZ = 10000;

/** The control codes, as the contract pins them. */
export const STREAM_IOCTL = {
  linux: { STREAM_START: 0xc0205304, STREAM_STOP: 0x00005305 },
  windows: { STREAM_START: 0x8000e010, STREAM_STOP: 0x8000e014 },
} as const;
export type StreamIoctlName = keyof (typeof STREAM_IOCTL)['linux'];

export const STREAM_STRUCT_SIZE = { streamStart: 32, ring: 256, record: 32 } as const;

/** Byte offsets in struct shm_stream_start. */
export const STREAM_START_OFFSET = {
  rateHz: 0,
  batch: 4,
  eventHandle: 8,
  capacity: 16,
  recordSize: 20,
  dataOffset: 24,
} as const;

/** Byte offsets in struct shm_ring. */
export const RING_OFFSET = {
  magic: 0,
  version: 4,
  recordSize: 8,
  capacity: 12,
  dataOffset: 16,
  rateHz: 24,
  batch: 28,
  state: 32,
  head: 64,
  tail: 128,
  dropped: 192,
} as const;

/** Byte offsets in struct shm_record. */
export const RECORD_OFFSET = {
  sequence: 0,
  timestampNs: 8,
  sample: 16,
  check: 20,
  reserved: 24,
} as const;

/** shm_stream_sample: a triangle wave, period 1000 records, -16000 up to 16000 and back. */
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

/** Kernel producers (hrtimer, KTIMER) keep time: 100 ticks a second keep latency near 10 ms at most. */
export const DEFAULT_TICK_HZ = 100;
