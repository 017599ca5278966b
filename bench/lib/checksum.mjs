// The consumer's read, the same on every path: a wrapping 32-bit sum of every
// 32-bit word (bench/c/shm-bench.c computes the same), and the value the fill
// pattern (word i = i * 2654435761 mod 2^32) must give.

/** Sum of the words of a Uint32Array, mod 2^32. */
export function sum32(words) {
  let s = 0;
  for (let i = 0; i < words.length; i++) s = (s + words[i]) | 0;
  return s >>> 0;
}

/** Writes the pattern into a Uint32Array. */
export function fillPattern(words) {
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761);
}

/** sum32 of `bytes` bytes of the pattern, computed without the buffer. */
export function expectedPatternSum(bytes) {
  // sum_{i<n} i*k = k * n(n-1)/2, mod 2^32, with BigInt so nothing overflows.
  const n = BigInt(bytes / 4);
  return Number(((2654435761n * ((n * (n - 1n)) / 2n)) % 2n ** 32n));
}
