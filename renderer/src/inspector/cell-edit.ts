// An edit typed into the inspector, as the u16 write the API takes: the value
// is parsed in the shown type and radix, encoded little-endian, and widened
// to whole u16 values with the neighbouring byte an odd u8 edit leaves as is.
import type { Parsed } from '../input/parse-number.js';
import { TYPE_INFO, type Radix, type ValueType } from './hex-format.js';

export function parseCellValue(input: string, type: ValueType, radix: Radix): Parsed<number> {
  const { size, signed } = TYPE_INFO[type];
  const text = input.trim().toLowerCase();
  const min = signed ? -(2 ** (size * 8 - 1)) : 0;
  const max = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
  const bits = 2 ** (size * 8);
  const hex = radix === 'hex' || text.startsWith('0x');
  const digits = text.replace(/^0x/, '');
  if (!(hex ? /^[0-9a-f]+$/ : /^-?\d+$/).test(digits)) {
    return { ok: false, message: `"${input}" is not a ${type} value in ${hex ? 'hex' : 'decimal'}.` };
  }
  let value = hex ? parseInt(digits, 16) : Number(digits);
  // Hex is the raw bits: ffff as i16 is -1.
  if (hex && signed && value < bits && value > max) value -= bits;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    return { ok: false, message: `A ${type} value must be ${min}..${max}${hex ? ` (hex up to ${(bits - 1).toString(16)})` : ''}.` };
  }
  return { ok: true, value };
}

/** The value's bytes, little-endian. */
export function encodeValue(value: number, type: ValueType): Uint8Array {
  const { size } = TYPE_INFO[type];
  let raw = value < 0 ? value + 2 ** (size * 8) : value;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = raw % 256;
    raw = Math.floor(raw / 256);
  }
  return bytes;
}

/**
 * The writeValues request for `bytes` at `offset`: starting on an even
 * offset, whole u16 values, with `byteAt` giving the current byte for any
 * half-covered value.
 */
export function wordWrite(offset: number, bytes: Uint8Array, byteAt: (offset: number) => number): { offset: number; values: number[] } {
  const start = offset - (offset % 2);
  const end = offset + bytes.length + ((offset + bytes.length) % 2);
  const values: number[] = [];
  const at = (o: number): number => (o >= offset && o < offset + bytes.length ? (bytes[o - offset] ?? 0) : byteAt(o));
  for (let o = start; o < end; o += 2) values.push(at(o) | (at(o + 1) << 8));
  return { offset: start, values };
}
