// How much each bench measures. `full` is `npm run bench`; `quick` is the
// `bench-quick` test stage: the same code paths with few iterations and small
// sizes, so the bench cannot rot without making npm test slow.
const KiB = 1024;
const MiB = 1024 * KiB;
const powersOfTwo = (from, to) => {
  const out = [];
  for (let s = from; s <= to; s *= 2) out.push(s);
  return out;
};

export const PROFILES = {
  full: {
    // QUERY: rounds of (C, then Node), each timing `batches` batches of
    // `batch` calls after `warmup` calls per variant; JIT-compiled code under
    // the emulator needs thousands of calls to reach its final tier.
    query: { batch: 100, batches: 100, rounds: 7, warmup: 20000 },
    alloc: { sizes: powersOfTwo(4 * KiB, 256 * MiB), runs: 7, warmup: 1 },
    read: { sizes: [1, 4, 16, 64, 256].map((n) => n * MiB), runs: 7, warmup: 1 },
    ui: { clicks: 100, warmup: 5 },
    uiStream: { rateHz: 1_000_000, seconds: 5, size: '32M' },
    // Each consumer runs 5 s per rate until the first rate with drops.
    stream: { seconds: 5, rates: [1000, 10000, 100000, 300000, 1000000, 3000000], latencySeconds: 10, wakeupRounds: 5000 },
    // The driver's defaults (64 MiB per allocation, 256 MiB in all) are below
    // what the 256 MiB points need.
    module: { maxSizeMiB: 256, totalCapMiB: 512 },
    guestMemoryMiB: 3072,
    timeoutSeconds: 3000,
  },
  quick: {
    query: { batch: 50, batches: 20, rounds: 3, warmup: 20000 },
    alloc: { sizes: powersOfTwo(4 * KiB, 1 * MiB), runs: 3, warmup: 1 },
    // From 1 MiB up glibc's memcpy uses vector loops, not rep movsb, which TCG
    // emulates erratically (see the emulation note in the README).
    read: { sizes: [1 * MiB, 2 * MiB], runs: 3, warmup: 1 },
    ui: { clicks: 8, warmup: 2 },
    uiStream: { rateHz: 1_000_000, seconds: 2, size: '32M' },
    stream: { seconds: 1, rates: [1000, 10000], latencySeconds: 2, wakeupRounds: 500 },
    module: { maxSizeMiB: 64, totalCapMiB: 256 },
    guestMemoryMiB: 1024,
    timeoutSeconds: 600,
  },
};

export const MiB_BYTES = MiB;
