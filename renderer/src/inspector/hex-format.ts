// How the inspector shows bytes: rows of 16 with their offset, the values of
// the chosen type (little-endian, as x64 stores them) in hex or decimal, and
// the ASCII column.

export const ROW_BYTES = 16;

export const valueTypes = ['u8', 'u16', 'u32', 'i16', 'i32'] as const;
export type ValueType = (typeof valueTypes)[number];
export type Radix = 'hex' | 'dec';

interface TypeInfo {
  size: 1 | 2 | 4;
  signed: boolean;
}
export const TYPE_INFO: Record<ValueType, TypeInfo> = {
  u8: { size: 1, signed: false },
  u16: { size: 2, signed: false },
  u32: { size: 4, signed: false },
  i16: { size: 2, signed: true },
  i32: { size: 4, signed: true },
};

/** The value of `type` at `index` of `bytes` (little-endian), or null where the bytes run out. */
export function decodeAt(bytes: Uint8Array, index: number, type: ValueType): number | null {
  const { size, signed } = TYPE_INFO[type];
  if (index + size > bytes.length) return null;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[index + i] ?? 0);
  if (signed && v >= 2 ** (size * 8 - 1)) v -= 2 ** (size * 8);
  return v;
}

/** One cell's text, padded so columns line up: hex shows the raw bits, decimal the value. */
export function formatValue(value: number, type: ValueType, radix: Radix): string {
  const { size, signed } = TYPE_INFO[type];
  if (radix === 'hex') {
    const raw = value < 0 ? value + 2 ** (size * 8) : value;
    return raw.toString(16).padStart(size * 2, '0');
  }
  const widest = signed ? String(-(2 ** (size * 8 - 1))).length : String(2 ** (size * 8) - 1).length;
  return String(value).padStart(widest, ' ');
}

/** Printable ASCII as itself, anything else as a dot. */
export const asciiOf = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');

/** Offsets in hex, as wide as the mapping's last offset needs (at least 8 digits). */
export function formatOffset(offset: number, mappingSize: number): string {
  const width = Math.max(8, Math.max(0, mappingSize - 1).toString(16).length);
  return offset.toString(16).padStart(width, '0');
}

export interface HexRow {
  offset: number;
  /** One per value of the type; each knows its first byte. */
  cells: { offset: number; text: string }[];
  ascii: string;
}

/** The rows of a chunk that starts on a row boundary. */
export function hexRows(offset: number, bytes: Uint8Array, type: ValueType, radix: Radix): HexRow[] {
  const { size } = TYPE_INFO[type];
  const rows: HexRow[] = [];
  for (let r = 0; r < bytes.length; r += ROW_BYTES) {
    const row = bytes.subarray(r, Math.min(r + ROW_BYTES, bytes.length));
    const cells: HexRow['cells'] = [];
    for (let i = 0; i + size <= row.length; i += size) {
      const value = decodeAt(row, i, type);
      if (value !== null) cells.push({ offset: offset + r + i, text: formatValue(value, type, radix) });
    }
    rows.push({ offset: offset + r, cells, ascii: asciiOf(row) });
  }
  return rows;
}

/** A classic hex dump of a range (for the clipboard): offset, 16 bytes in hex, ASCII. */
export function hexDumpText(offset: number, bytes: Uint8Array, mappingSize: number): string {
  const lines: string[] = [];
  for (let r = 0; r < bytes.length; r += ROW_BYTES) {
    const row = bytes.subarray(r, Math.min(r + ROW_BYTES, bytes.length));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${formatOffset(offset + r, mappingSize)}  ${hex.padEnd(ROW_BYTES * 3 - 1, ' ')}  ${asciiOf(row)}`);
  }
  return lines.join('\n');
}
