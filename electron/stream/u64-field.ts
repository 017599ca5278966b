// u64 fields of the ring and its records as plain numbers: two u32 halves,
// no BigInt (the consumer and the simulated producer touch millions a second).
// Exact below 2^53, which sequence numbers, counters and nanosecond
// timestamps stay under for years.

const TWO_32 = 2 ** 32;

export function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * TWO_32;
}

export function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % TWO_32, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}
