// Reads the inspector's window of the mapping (the rows on screen only) and
// remembers the last read, so each refresh knows which bytes changed since.
import { useCallback, useEffect, useRef, useState } from 'react';
import { MappingReadError, readBytes, type ByteChunk } from '../../../api/mapping-bytes.js';
import type { SharedMemoryApi } from '../../../api/shared-memory-api.js';
import { visibleRange } from './paging.js';
import { changedOffsets } from './watch-diff.js';

export interface InspectorPage {
  chunk: ByteChunk | null;
  /** Bytes that differ from the previous read of the same offsets. */
  changed: ReadonlySet<number>;
  error: string | null;
  /** When the last read arrived. */
  readAt: Date | null;
}

const EMPTY: InspectorPage = { chunk: null, changed: new Set(), error: null, readAt: null };

export function useInspectorPage(api: SharedMemoryApi, mappedSize: number, topRow: number): [InspectorPage, () => Promise<void>] {
  const [page, setPage] = useState<InspectorPage>(EMPTY);
  const previous = useRef<ByteChunk | null>(null);
  // Only the newest read lands: scrolling fast must not show an older page last.
  const sequence = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++sequence.current;
    // Nothing allocated: nothing to read (the inspector shows no rows then).
    if (mappedSize === 0) return;
    const { offset, length } = visibleRange(topRow, mappedSize);
    try {
      const bytes = await readBytes(api.readValues, offset, length);
      if (mine !== sequence.current) return;
      const chunk = { offset, bytes };
      const changed = changedOffsets(previous.current, chunk);
      previous.current = chunk;
      setPage({ chunk, changed, error: null, readAt: new Date() });
    } catch (error) {
      if (mine !== sequence.current) return;
      const message = error instanceof MappingReadError ? error.error.message : String(error);
      setPage((p) => ({ ...p, error: message }));
    }
  }, [api, mappedSize, topRow]);

  // A new allocation is other memory: nothing to compare with.
  useEffect(() => {
    previous.current = null;
  }, [mappedSize]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return [page, refresh];
}
