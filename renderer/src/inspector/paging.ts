// The inspector's window onto the mapping: only the rows on screen are read
// and rendered (a 64 MiB mapping has 4 Mi rows), positioned by the row at
// the top.
import { ROW_BYTES } from './hex-format.js';

export const VISIBLE_ROWS = 16;

export const totalRows = (mappingSize: number): number => Math.ceil(mappingSize / ROW_BYTES);

/** The top row clamped so the window stays inside the mapping. */
export function clampTopRow(row: number, mappingSize: number, visibleRows = VISIBLE_ROWS): number {
  const last = Math.max(0, totalRows(mappingSize) - visibleRows);
  return Math.min(Math.max(0, Math.floor(row)), last);
}

/** The bytes the window at `topRow` shows. */
export function visibleRange(topRow: number, mappingSize: number, visibleRows = VISIBLE_ROWS): { offset: number; length: number } {
  const offset = clampTopRow(topRow, mappingSize, visibleRows) * ROW_BYTES;
  return { offset, length: Math.max(0, Math.min(visibleRows * ROW_BYTES, mappingSize - offset)) };
}

/** The top row that shows `offset` (on the top row, unless the mapping ends first). */
export const topRowFor = (offset: number, mappingSize: number, visibleRows = VISIBLE_ROWS): number =>
  clampTopRow(Math.floor(offset / ROW_BYTES), mappingSize, visibleRows);

export type PagingKey = 'ArrowUp' | 'ArrowDown' | 'PageUp' | 'PageDown' | 'Home' | 'End';
export const isPagingKey = (key: string): key is PagingKey =>
  ['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End'].includes(key);

/** Where a key (or a wheel step of `rows`) moves the window. */
export function movedTopRow(topRow: number, key: PagingKey, mappingSize: number, visibleRows = VISIBLE_ROWS): number {
  const step = { ArrowUp: -1, ArrowDown: 1, PageUp: -visibleRows, PageDown: visibleRows, Home: -Infinity, End: Infinity }[key];
  if (step === -Infinity) return 0;
  if (step === Infinity) return clampTopRow(totalRows(mappingSize), mappingSize, visibleRows);
  return clampTopRow(topRow + step, mappingSize, visibleRows);
}

/** The cell `steps` cells of `size` bytes from the one at `offset`, inside the mapping. */
export function steppedCell(offset: number, steps: number, size: number, mappingSize: number): number {
  const last = Math.max(0, mappingSize - size) - (Math.max(0, mappingSize - size) % size);
  const aligned = offset - (((offset % size) + size) % size);
  return Math.min(Math.max(0, aligned + steps * size), last);
}

/** The top row that keeps `offset` on screen, moving as little as possible. */
export function keptInView(topRow: number, offset: number, mappingSize: number, visibleRows = VISIBLE_ROWS): number {
  const row = Math.floor(offset / ROW_BYTES);
  if (row < topRow) return clampTopRow(row, mappingSize, visibleRows);
  if (row >= topRow + visibleRows) return clampTopRow(row - visibleRows + 1, mappingSize, visibleRows);
  return topRow;
}
