// Latency percentiles at a million records a second: a log-linear histogram
// (16 buckets per power of two, so a percentile is within 1/16 of the true
// value), O(1) per record and no allocation. Values are nanoseconds.

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
/** Buckets for 0 .. 2^32 ns (about 4.3 s); anything longer lands in the last. */
const BUCKETS = (32 - SUB_BITS + 1) * SUB;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private max = 0;

  record(ns: number): void {
    const v = ns <= 0 ? 0 : ns >= 0xffff_ffff ? 0xffff_ffff : Math.floor(ns);
    this.counts[bucketOf(v)] = (this.counts[bucketOf(v)] ?? 0) + 1;
    this.total += 1;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  /** The value below which a fraction `q` (0..1) of the records fall, or null before any. */
  percentile(q: number): number | null {
    if (this.total === 0) return null;
    if (q >= 1) return this.max;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(bucketMiddle(i), this.max);
    }
    return this.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }
}

/** Values below 2^SUB_BITS have their own bucket; above, SUB buckets per octave. */
function bucketOf(v: number): number {
  if (v < SUB) return v;
  const exponent = 31 - Math.clz32(v); // >= SUB_BITS
  const sub = (v >>> (exponent - SUB_BITS)) & (SUB - 1);
  return (exponent - SUB_BITS + 1) * SUB + sub;
}

function bucketMiddle(index: number): number {
  if (index < SUB) return index;
  const exponent = Math.floor(index / SUB) - 1 + SUB_BITS;
  const sub = index % SUB;
  const width = 2 ** (exponent - SUB_BITS);
  return (SUB + sub) * width + width / 2;
}
