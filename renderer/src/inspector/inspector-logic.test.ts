// The inspector's logic without a window: formatting, paging a 64 MiB
// mapping, selections, edits as u16 writes, and Watch's diff.
import { describe, expect, it } from 'vitest';
import { selectedRange } from './byte-selection.js';
import { encodeValue, parseCellValue, wordWrite } from './cell-edit.js';
import { asciiOf, decodeAt, formatOffset, formatValue, hexDumpText, hexRows } from './hex-format.js';
import { clampTopRow, keptInView, movedTopRow, steppedCell, topRowFor, totalRows, visibleRange } from './paging.js';
import { cellChanged, changedOffsets } from './watch-diff.js';

const MiB = 1024 * 1024;
const bytes = (...b: number[]) => Uint8Array.from(b);

describe('formatting', () => {
  it('decodes every type little-endian, signed ones in two\'s complement', () => {
    const b = bytes(0xff, 0xfe, 0x01, 0x80);
    expect(decodeAt(b, 0, 'u8')).toBe(0xff);
    expect(decodeAt(b, 0, 'u16')).toBe(0xfeff);
    expect(decodeAt(b, 0, 'i16')).toBe(-257);
    expect(decodeAt(b, 0, 'u32')).toBe(0x8001feff);
    expect(decodeAt(b, 0, 'i32')).toBe(0x8001feff - 2 ** 32);
    expect(decodeAt(b, 2, 'u32')).toBeNull();
  });

  it('pads cells so columns line up, hex showing the raw bits', () => {
    expect(formatValue(10, 'u8', 'hex')).toBe('0a');
    expect(formatValue(10, 'u16', 'hex')).toBe('000a');
    expect(formatValue(-1, 'i16', 'hex')).toBe('ffff');
    expect(formatValue(-1, 'i32', 'hex')).toBe('ffffffff');
    expect(formatValue(10, 'u8', 'dec')).toBe(' 10');
    expect(formatValue(10, 'u16', 'dec')).toBe('   10');
    expect(formatValue(-5, 'i16', 'dec')).toBe('    -5');
    expect(formatValue(4294967295, 'u32', 'dec')).toBe('4294967295');
    expect(formatValue(-2147483648, 'i32', 'dec')).toBe('-2147483648');
  });

  it('shows printable ASCII and dots, offsets as wide as the mapping needs', () => {
    expect(asciiOf(bytes(0x48, 0x69, 0x00, 0x7f, 0x20))).toBe('Hi.. ');
    expect(formatOffset(0x10, 4096)).toBe('00000010');
    expect(formatOffset(0x10, 2 ** 36)).toBe('000000010');
  });

  it('makes rows of 16 bytes with one cell per value of the type', () => {
    const seed = Uint8Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 10 - i / 2 : 0));
    const rows = hexRows(0x100, seed, 'u16', 'dec');
    expect(rows.map((r) => r.offset)).toEqual([0x100, 0x110]);
    expect(rows[0]?.cells.map((c) => c.text.trim())).toEqual(['10', '9', '8', '7', '6', '5', '4', '3']);
    expect(rows[0]?.cells[1]?.offset).toBe(0x102);
    expect(rows[1]?.cells.length).toBe(2);
    expect(hexRows(0, seed, 'u8', 'hex')[0]?.cells.length).toBe(16);
    expect(hexRows(0, seed, 'u32', 'hex')[0]?.cells.length).toBe(4);
  });

  it('copies a range as a classic hex dump', () => {
    expect(hexDumpText(0x20, bytes(0x41, 0x42, 0x00), 4096)).toBe(`00000020  41 42 00${' '.repeat(39)}  AB.`);
  });
});

describe('paging a 64 MiB mapping', () => {
  const size = 64 * MiB;

  it('has 4 Mi rows but shows 16 at a time', () => {
    expect(totalRows(size)).toBe(4 * MiB);
    expect(visibleRange(0, size)).toEqual({ offset: 0, length: 256 });
    expect(visibleRange(10 ** 9, size)).toEqual({ offset: size - 256, length: 256 });
    expect(visibleRange(0, 40)).toEqual({ offset: 0, length: 40 });
  });

  it('keeps the window inside the mapping, whatever asks', () => {
    expect(clampTopRow(-5, size)).toBe(0);
    expect(clampTopRow(2.7, size)).toBe(2);
    expect(clampTopRow(5, 100)).toBe(0);
    expect(movedTopRow(0, 'ArrowUp', size)).toBe(0);
    expect(movedTopRow(0, 'PageDown', size)).toBe(16);
    expect(movedTopRow(20, 'PageUp', size)).toBe(4);
    expect(movedTopRow(3, 'End', size)).toBe(4 * MiB - 16);
    expect(movedTopRow(4 * MiB - 16, 'ArrowDown', size)).toBe(4 * MiB - 16);
    expect(movedTopRow(99, 'Home', size)).toBe(0);
  });

  it('jumps so the offset is on the top row, or as near as the end allows', () => {
    expect(topRowFor(0x1234, size)).toBe(0x123);
    expect(topRowFor(size - 1, size)).toBe(4 * MiB - 16);
  });
});

describe('moving the selection from the keyboard', () => {
  it('steps whole cells, stopping at either end of the mapping', () => {
    expect(steppedCell(0, 1, 2, 4096)).toBe(2);
    expect(steppedCell(0, -1, 2, 4096)).toBe(0);
    expect(steppedCell(5, 1, 4, 4096)).toBe(8);
    expect(steppedCell(4094, 1, 2, 4096)).toBe(4094);
    expect(steppedCell(4092, 1, 4, 4096)).toBe(4092);
    expect(steppedCell(-1, 1, 1, 4096)).toBe(0);
  });

  it('scrolls only as far as needed to keep it on screen', () => {
    const size = 64 * MiB;
    expect(keptInView(10, 10 * 16 + 3, size)).toBe(10);
    expect(keptInView(10, 26 * 16, size)).toBe(11);
    expect(keptInView(10, 9 * 16 + 15, size)).toBe(9);
  });
});

describe('selection', () => {
  it('covers both cells whole, in either order, inside the mapping', () => {
    expect(selectedRange({ anchor: 0x10, focus: 0x2 }, 2, 4096)).toEqual({ start: 0x2, end: 0x12 });
    expect(selectedRange({ anchor: 0x4, focus: 0x4 }, 4, 4096)).toEqual({ start: 4, end: 8 });
    expect(selectedRange({ anchor: 4094, focus: 4094 }, 4, 4096)).toEqual({ start: 4094, end: 4096 });
  });
});

describe('edits', () => {
  it('parses in the shown type and radix, and says what is wrong', () => {
    expect(parseCellValue('ff', 'u8', 'hex')).toEqual({ ok: true, value: 255 });
    expect(parseCellValue('0x10', 'u16', 'dec')).toEqual({ ok: true, value: 16 });
    expect(parseCellValue('ffff', 'i16', 'hex')).toEqual({ ok: true, value: -1 });
    expect(parseCellValue('-5', 'i32', 'dec')).toEqual({ ok: true, value: -5 });
    expect(parseCellValue('256', 'u8', 'dec')).toEqual({ ok: false, message: 'A u8 value must be 0..255.' });
    expect(parseCellValue('-1', 'u16', 'dec')).toEqual({ ok: false, message: 'A u16 value must be 0..65535.' });
    expect(parseCellValue('10000', 'i16', 'hex')).toEqual({ ok: false, message: 'A i16 value must be -32768..32767 (hex up to ffff).' });
    expect(parseCellValue('12g', 'u16', 'hex')).toEqual({ ok: false, message: '"12g" is not a u16 value in hex.' });
    expect(parseCellValue('', 'u16', 'dec').ok).toBe(false);
  });

  it('encodes little-endian and widens to whole u16 values, keeping the neighbour byte', () => {
    expect([...encodeValue(-2, 'i16')]).toEqual([0xfe, 0xff]);
    expect([...encodeValue(0x12345678, 'u32')]).toEqual([0x78, 0x56, 0x34, 0x12]);
    const memory = bytes(0x11, 0x22, 0x33, 0x44);
    const at = (o: number) => memory[o] ?? 0;
    expect(wordWrite(1, encodeValue(0xaa, 'u8'), at)).toEqual({ offset: 0, values: [0xaa11] });
    expect(wordWrite(2, encodeValue(0xbb, 'u8'), at)).toEqual({ offset: 2, values: [0x44bb] });
    expect(wordWrite(0, encodeValue(0x12345678, 'u32'), at)).toEqual({ offset: 0, values: [0x5678, 0x1234] });
  });
});

describe('Watch', () => {
  it('reports the bytes that changed where both reads overlap, and nothing on the first read', () => {
    const before = { offset: 0, bytes: bytes(1, 2, 3, 4) };
    expect(changedOffsets(null, before).size).toBe(0);
    expect([...changedOffsets(before, { offset: 0, bytes: bytes(1, 9, 3, 8) })]).toEqual([1, 3]);
    expect([...changedOffsets(before, { offset: 2, bytes: bytes(3, 7, 7, 7) })]).toEqual([3]);
    expect(changedOffsets(before, { offset: 16, bytes: bytes(0) }).size).toBe(0);
  });

  it('marks a cell when any of its bytes changed', () => {
    const changed = new Set([3]);
    expect(cellChanged(changed, 2, 2)).toBe(true);
    expect(cellChanged(changed, 0, 2)).toBe(false);
    expect(cellChanged(changed, 0, 4)).toBe(true);
  });
});
