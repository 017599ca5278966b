// Parsing what people type into the window's number fields: decimal, hex
// (0x...), and for sizes binary suffixes (4K, 1M). BigInt keeps "huge" input
// exact, so 99999999999999999999 is reported as too large instead of being
// rounded into something that looks legal.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const INTEGER = /^(0x[0-9a-f]+|[0-9]+)$/i;
const SIZE = /^(0x[0-9a-f]+|[0-9]+)\s*(k|kb|kib|m|mb|mib)?$/i;
const SUFFIX_BYTES: Record<string, bigint> = { k: 1024n, m: 1024n * 1024n };

const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** "4096", "0x1000" -> bigint, or null for anything else (signs, fractions, words). */
function parseUnsigned(text: string): bigint | null {
  return INTEGER.test(text) ? BigInt(text) : null;
}

/** Why a number-looking text is not a whole, non-negative integer, or null if it is not number-looking. */
function describeNonInteger(text: string, what: string): string | null {
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) return null;
  if (n < 0 || text.startsWith('-')) return `${what} cannot be negative`;
  if (!Number.isInteger(n)) return `${what} must be a whole number`;
  return null;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

export const toHex = (n: number): string => `0x${n.toString(16)}`;

/**
 * A size for ALLOCATE: a whole number of bytes from 1 up to what a request can
 * carry. The driver's own maximum is not enforced here: the driver decides,
 * and the window shows its answer (see sizeAboveDriverMax).
 */
export function parseSize(input: string): Parsed<number> {
  const text = input.trim();
  if (text === '') return fail('Enter a size in bytes, e.g. 4096, 0x1000 or 4K.');
  const match = SIZE.exec(text);
  if (!match) {
    const why = describeNonInteger(text, 'The size');
    if (why) return fail(`${why} (bytes, e.g. 4096).`);
    return fail(`"${text}" is not a size: use bytes in decimal (4096), hex (0x1000) or with K/M (4K).`);
  }
  const digits = match[1] ?? '';
  const suffix = (match[2] ?? '').charAt(0).toLowerCase();
  const bytes = BigInt(digits) * (SUFFIX_BYTES[suffix] ?? 1n);
  if (bytes < 1n) return fail('The size must be at least 1 byte.');
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    return fail(`The size is too large to request: at most ${Number.MAX_SAFE_INTEGER} bytes.`);
  }
  return { ok: true, value: Number(bytes) };
}

/** A note for a well-formed size the driver has said it will refuse (its QUERY max_size). */
export function sizeAboveDriverMax(input: string, maxSize: number): string | null {
  const size = parseSize(input);
  if (!size.ok || size.value <= maxSize) return null;
  return `Above the driver's maximum of ${formatBytes(maxSize)}: the driver will refuse it.`;
}

/** A byte offset into the allocation: inside it, and even unless any byte will do (the inspector). */
export function parseOffset(input: string, mappedSize: number, { anyByte = false } = {}): Parsed<number> {
  const text = input.trim();
  if (text === '') return fail('Enter a byte offset, e.g. 0 or 0x100.');
  const n = parseUnsigned(text);
  if (n === null) {
    return fail(describeNonInteger(text, 'The offset') ?? `"${text}" is not an offset: use decimal (256) or hex (0x100).`);
  }
  if (!anyByte && n % 2n !== 0n) return fail('The offset must be even: the values are 16-bit.');
  if (n >= BigInt(mappedSize)) {
    return fail(`The offset must be below the mapped size, ${toHex(mappedSize)} (${mappedSize} bytes).`);
  }
  return { ok: true, value: Number(n) };
}

/**
 * How many u16 values fit from a byte offset to the end of the mapping, and
 * at most one request's worth; `limit` says which of the two is tighter.
 */
export function valueRoom(mappedSize: number, offset: number, perRequest: number): { max: number; limit: string } {
  const toEnd = Math.max(0, Math.floor((mappedSize - offset) / 2));
  return toEnd < perRequest
    ? { max: toEnd, limit: `the mapping ends ${toEnd} value${toEnd === 1 ? '' : 's'} after offset ${toHex(offset)}` }
    : { max: perRequest, limit: `one request covers at most ${perRequest} values` };
}

/** A number of u16 values: 1..room.max. */
export function parseCount(input: string, room: { max: number; limit: string }): Parsed<number> {
  const maxCount = room.max;
  const text = input.trim();
  if (text === '') return fail('Enter how many values to show, e.g. 10.');
  const n = parseUnsigned(text);
  if (n === null) {
    return fail(describeNonInteger(text, 'The count') ?? `"${text}" is not a count: use decimal (10) or hex (0xa).`);
  }
  if (n < 1n) return fail('The count must be at least 1.');
  if (n > BigInt(maxCount)) return fail(`The count must be at most ${maxCount}: ${room.limit}.`);
  return { ok: true, value: Number(n) };
}

/** A list of u16 values separated by spaces, commas or new lines; at most room.max of them. */
export function parseValues(input: string, room: { max: number; limit: string }): Parsed<number[]> {
  const maxCount = room.max;
  const words = input.split(/[\s,;]+/).filter((w) => w !== '');
  if (words.length === 0) return fail('Enter at least one value, e.g. 1 2 0xffff.');
  if (words.length > maxCount) {
    return fail(`At most ${maxCount} values fit (${room.limit}); you entered ${words.length}.`);
  }
  const values: number[] = [];
  for (const [i, word] of words.entries()) {
    const n = parseUnsigned(word);
    if (n === null || n > 0xffffn) {
      return fail(`Value ${i + 1} ("${word}") is not a 16-bit value: use 0..65535 or 0x0..0xffff.`);
    }
    values.push(Number(n));
  }
  return { ok: true, value: values };
}
