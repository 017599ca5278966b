// A selected range of the mapping: from the cell first clicked to the cell
// shift-clicked, in either order, whole cells of the current type.

export interface ByteSelection {
  /** First byte of the cell clicked first. */
  anchor: number;
  /** First byte of the cell clicked last. */
  focus: number;
}

/** [start, end) in bytes, covering both cells whole, inside the mapping. */
export function selectedRange(selection: ByteSelection, cellSize: number, mappingSize: number): { start: number; end: number } {
  const start = Math.min(selection.anchor, selection.focus);
  const end = Math.min(Math.max(selection.anchor, selection.focus) + cellSize, mappingSize);
  return { start, end };
}

export const isSelected = (offset: number, range: { start: number; end: number } | null): boolean =>
  range !== null && offset >= range.start && offset < range.end;

/** The largest range Copy puts on the clipboard as text (Export takes any size). */
export const MAX_COPY_BYTES = 1024 * 1024;
