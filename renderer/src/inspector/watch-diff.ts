// Watch: which bytes changed between two reads of the inspector's window.
// Only the stretch both reads cover is compared, so scrolling is not a change.
import type { ByteChunk } from '../../../api/mapping-bytes.js';

export function changedOffsets(before: ByteChunk | null, after: ByteChunk): Set<number> {
  const changed = new Set<number>();
  if (!before) return changed;
  const start = Math.max(before.offset, after.offset);
  const end = Math.min(before.offset + before.bytes.length, after.offset + after.bytes.length);
  for (let o = start; o < end; o++) {
    if (before.bytes[o - before.offset] !== after.bytes[o - after.offset]) changed.add(o);
  }
  return changed;
}

/** True when any byte of the cell [offset, offset + size) changed. */
export function cellChanged(changed: ReadonlySet<number>, offset: number, size: number): boolean {
  for (let o = offset; o < offset + size; o++) if (changed.has(o)) return true;
  return false;
}

/** Watch's choice of refresh intervals, in milliseconds. */
export const WATCH_INTERVALS_MS = [250, 500, 1000, 2000, 5000] as const;
