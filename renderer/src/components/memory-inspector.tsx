// The memory inspector beside the Shared memory view: a hex dump of the whole
// mapping, 16 bytes a row with offsets and ASCII, read and rendered only for
// the rows on screen. Type and radix switches, jump to an offset, paging by
// keys, wheel, buttons or the position slider, a selection to copy or export,
// edits through the same validated write call as Write values, and Watch
// (an opt-in refresh that highlights what changed).
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { readBytes } from '../../../api/mapping-bytes.js';
import type { SharedMemoryApi } from '../../../api/shared-memory-api.js';
import { parseOffset, toHex } from '../input/parse-number.js';
import { isSelected, MAX_COPY_BYTES, selectedRange, type ByteSelection } from '../inspector/byte-selection.js';
import { encodeValue, parseCellValue, wordWrite } from '../inspector/cell-edit.js';
import { exportMappingRange } from '../inspector/export-range.js';
import { formatOffset, hexDumpText, hexRows, ROW_BYTES, TYPE_INFO, valueTypes, type Radix, type ValueType } from '../inspector/hex-format.js';
import { clampTopRow, isPagingKey, keptInView, movedTopRow, steppedCell, topRowFor, totalRows, VISIBLE_ROWS } from '../inspector/paging.js';
import { useInspectorPage } from '../inspector/use-inspector-page.js';
import { cellChanged, WATCH_INTERVALS_MS } from '../inspector/watch-diff.js';

interface Props {
  api: SharedMemoryApi;
  /** 0 while nothing is allocated. */
  mappedSize: number;
  canWrite: boolean;
  /** The window's Write values call: validated, and the Shared memory view follows it. */
  onWrite: (offset: number, values: number[]) => Promise<void>;
}

const WHEEL_ROWS = 3;

export function MemoryInspector({ api, mappedSize, canWrite, onWrite }: Props) {
  const id = useId();
  const [type, setType] = useState<ValueType>('u8');
  const [radix, setRadix] = useState<Radix>('hex');
  const [topRow, setTopRow] = useState(0);
  const [jump, setJump] = useState('0');
  const [jumpError, setJumpError] = useState<string | null>(null);
  const [selection, setSelection] = useState<ByteSelection | null>(null);
  const [editText, setEditText] = useState('');
  const [editError, setEditError] = useState<string | null>(null);
  const [watching, setWatching] = useState(false);
  const [intervalMs, setIntervalMs] = useState<number>(1000);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [page, refresh] = useInspectorPage(api, mappedSize, topRow);

  const size = TYPE_INFO[type].size;
  const range = selection ? selectedRange(selection, size, mappedSize) : null;
  const rows = useMemo(() => (page.chunk ? hexRows(page.chunk.offset, page.chunk.bytes, type, radix) : []), [page.chunk, type, radix]);
  const lastTop = clampTopRow(totalRows(mappedSize), mappedSize);

  // Other memory (allocate, release): start again at the top, nothing selected, not watching.
  const [shownSize, setShownSize] = useState(mappedSize);
  if (shownSize !== mappedSize) {
    setShownSize(mappedSize);
    setTopRow(0);
    setSelection(null);
    setWatching(false);
    setMessage(null);
  }

  // The wheel over the dump moves its rows, not the page: a non-passive
  // listener, since React's onWheel cannot prevent the page from scrolling.
  const gridRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const grid = gridRef.current;
    if (!grid) return;
    const onWheel = (event: globalThis.WheelEvent) => {
      if (event.deltaY === 0) return;
      event.preventDefault();
      setTopRow((row) => clampTopRow(row + Math.sign(event.deltaY) * WHEEL_ROWS, mappedSize));
    };
    grid.addEventListener('wheel', onWheel, { passive: false });
    return () => grid.removeEventListener('wheel', onWheel);
  }, [mappedSize]);

  useEffect(() => {
    if (!watching || mappedSize === 0) return;
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => clearInterval(timer);
  }, [watching, intervalMs, refresh, mappedSize]);

  if (mappedSize === 0) {
    return (
      <section className="panel inspector" aria-label="Memory inspector">
        <h2>Inspector</h2>
        <p className="inspector__empty">Allocate memory to inspect the whole mapping here.</p>
      </section>
    );
  }

  const moveTo = (row: number) => setTopRow(clampTopRow(row, mappedSize));
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'c' && range) {
      event.preventDefault();
      void copySelection();
      return;
    }
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      // Left/Right select the previous/next value; with Shift they extend the selection.
      event.preventDefault();
      const next = steppedCell(selection?.focus ?? first - size, event.key === 'ArrowLeft' ? -1 : 1, size, mappedSize);
      setSelection(event.shiftKey && selection ? { anchor: selection.anchor, focus: next } : { anchor: next, focus: next });
      setTopRow(keptInView(topRow, next, mappedSize));
      return;
    }
    if (!isPagingKey(event.key)) return;
    event.preventDefault();
    setTopRow(movedTopRow(topRow, event.key, mappedSize));
  };

  const onJump = () => {
    const offset = parseOffset(jump, mappedSize, { anyByte: true });
    if (!offset.ok) {
      setJumpError(offset.message);
      return;
    }
    const target = offset.value;
    setJumpError(null);
    setTopRow(topRowFor(target, mappedSize));
    setSelection({ anchor: target - (target % size), focus: target - (target % size) });
  };

  const onCellClick = (event: MouseEvent, offset: number) => {
    setSelection((s) => (event.shiftKey && s ? { anchor: s.anchor, focus: offset } : { anchor: offset, focus: offset }));
    setEditError(null);
  };

  async function selectedBytes(): Promise<Uint8Array | null> {
    if (!range) return null;
    const { chunk } = page;
    if (chunk && range.start >= chunk.offset && range.end <= chunk.offset + chunk.bytes.length) {
      return chunk.bytes.slice(range.start - chunk.offset, range.end - chunk.offset);
    }
    return readBytes(api.readValues, range.start, range.end - range.start);
  }

  async function copySelection(): Promise<void> {
    if (!range) return;
    if (range.end - range.start > MAX_COPY_BYTES) {
      setMessage(`Copy takes at most ${MAX_COPY_BYTES} bytes as text; use Export selection for more.`);
      return;
    }
    try {
      const bytes = await selectedBytes();
      if (!bytes) return;
      await navigator.clipboard.writeText(hexDumpText(range.start, bytes, mappedSize));
      setMessage(`Copied ${bytes.length} bytes from ${toHex(range.start)} as a hex dump`);
    } catch (error) {
      setMessage(`Copy failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function exportRange(offset: number, length: number): Promise<void> {
    setBusy(true);
    setMessage(`Exporting ${length} bytes…`);
    const outcome = await exportMappingRange(window, api, offset, length, (done) =>
      setMessage(`Exporting: ${Math.floor((done / length) * 100)}%`),
    );
    setBusy(false);
    setMessage(outcome.message);
  }

  async function writeEdit(): Promise<void> {
    if (!range || !page.chunk) return;
    const parsed = parseCellValue(editText, type, radix);
    if (!parsed.ok) {
      setEditError(parsed.message);
      return;
    }
    setEditError(null);
    const { chunk } = page;
    const byteAt = (o: number): number => chunk.bytes[o - chunk.offset] ?? 0;
    const write = wordWrite(range.start, encodeValue(parsed.value, type), byteAt);
    await onWrite(write.offset, write.values);
    await refresh();
  }

  const editTarget = range ? `${type} at ${toHex(range.start)}` : null;
  const editInView = range !== null && page.chunk !== null && range.start >= page.chunk.offset && range.start + size <= page.chunk.offset + page.chunk.bytes.length;
  const first = page.chunk?.offset ?? 0;
  const end = first + (page.chunk?.bytes.length ?? 0);

  return (
    <section className="panel inspector" aria-label="Memory inspector">
      <h2>Inspector</h2>
      <div className="inspector__toolbar">
        <label>
          Type{' '}
          <select value={type} onChange={(e) => setType(e.target.value as ValueType)} aria-label="Value type">
            {valueTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Show{' '}
          <select value={radix} onChange={(e) => setRadix(e.target.value as Radix)} aria-label="Number base">
            <option value="hex">hex</option>
            <option value="dec">decimal</option>
          </select>
        </label>
        <form
          className="inspector__jump"
          onSubmit={(e) => {
            e.preventDefault();
            onJump();
          }}
          noValidate
        >
          <label htmlFor={`${id}-jump`}>Jump to offset</label>
          <input
            id={`${id}-jump`}
            value={jump}
            onChange={(e) => setJump(e.target.value)}
            aria-invalid={jumpError ? true : undefined}
            aria-describedby={jumpError ? `${id}-jump-error` : undefined}
            spellCheck={false}
            autoComplete="off"
          />
          <button type="submit">Go</button>
        </form>
        <label className="inspector__watch">
          <input type="checkbox" checked={watching} onChange={(e) => setWatching(e.target.checked)} /> Watch
        </label>
        <select value={intervalMs} onChange={(e) => setIntervalMs(Number(e.target.value))} aria-label="Watch interval">
          {WATCH_INTERVALS_MS.map((ms) => (
            <option key={ms} value={ms}>
              every {ms < 1000 ? `${ms} ms` : `${ms / 1000} s`}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {jumpError ? (
        <small id={`${id}-jump-error`} className="field__error">
          {jumpError}
        </small>
      ) : null}

      <div className="inspector__dump">
        <div
          className="inspector__grid mono"
          role="grid"
          aria-label="Hex dump"
          aria-rowcount={totalRows(mappedSize) + 1}
          aria-readonly="true"
          tabIndex={0}
          aria-activedescendant={selection && isSelected(selection.focus, { start: first, end }) ? `${id}-cell-${selection.focus}` : undefined}
          onKeyDown={onKeyDown}
          ref={gridRef}
        >
          <div role="row" className="inspector__row inspector__head" aria-rowindex={1}>
            <span role="columnheader" className="inspector__offset">
              Offset
            </span>
            {Array.from({ length: ROW_BYTES / size }, (_, i) => (
              <span key={i} role="columnheader" className={`inspector__cell inspector__cell--${type}-${radix}`}>
                {(i * size).toString(16).padStart(2, '0')}
              </span>
            ))}
            <span role="columnheader" className="inspector__ascii">
              ASCII
            </span>
          </div>
          {rows.map((row) => (
            <div role="row" key={row.offset} className="inspector__row" aria-rowindex={row.offset / ROW_BYTES + 2}>
              <span role="rowheader" className="inspector__offset">
                {formatOffset(row.offset, mappedSize)}
              </span>
              {row.cells.map((cell) => {
                const selected = isSelected(cell.offset, range);
                const changed = cellChanged(page.changed, cell.offset, size);
                return (
                  <span
                    key={cell.offset}
                    role="gridcell"
                    id={`${id}-cell-${cell.offset}`}
                    aria-selected={selected}
                    data-offset={cell.offset}
                    className={`inspector__cell inspector__cell--${type}-${radix}${selected ? ' is-selected' : ''}${changed ? ' is-changed' : ''}`}
                    title={`${toHex(cell.offset)}${changed ? ' (changed since the last refresh)' : ''}`}
                    onClick={(e) => onCellClick(e, cell.offset)}
                  >
                    {cell.text}
                  </span>
                );
              })}
              <span className="inspector__ascii">{row.ascii}</span>
            </div>
          ))}
        </div>
        <input
          className="inspector__position"
          type="range"
          aria-label="Position in the mapping"
          aria-valuetext={`rows from ${toHex(first)}`}
          min={0}
          max={lastTop}
          value={topRow}
          onChange={(e) => moveTo(Number(e.target.value))}
          disabled={lastTop === 0}
        />
      </div>

      <div className="inspector__nav">
        <button type="button" onClick={() => moveTo(topRow - VISIBLE_ROWS)} disabled={topRow === 0}>
          Previous page
        </button>
        <button type="button" onClick={() => moveTo(topRow + VISIBLE_ROWS)} disabled={topRow >= lastTop}>
          Next page
        </button>
        <span className="inspector__where" data-testid="inspector-range">
          {toHex(first)}–{toHex(Math.max(first, end - 1))} of {mappedSize} bytes
        </span>
      </div>

      <div className="inspector__selection">
        <span data-testid="inspector-selection" aria-live="polite">
          {range
            ? `Selected ${toHex(range.start)}–${toHex(range.end - 1)} (${range.end - range.start} byte${range.end - range.start === 1 ? '' : 's'})`
            : 'Click a value (or use Left/Right) to select it; Shift extends.'}
        </span>
        <div className="buttons">
          <button type="button" onClick={() => void copySelection()} disabled={!range}>
            Copy
          </button>
          <button type="button" onClick={() => range && void exportRange(range.start, range.end - range.start)} disabled={!range || busy}>
            Export selection
          </button>
          <button type="button" onClick={() => void exportRange(0, mappedSize)} disabled={busy}>
            Export mapping
          </button>
        </div>
      </div>

      <form
        className="inspector__edit"
        onSubmit={(e) => {
          e.preventDefault();
          void writeEdit();
        }}
        noValidate
      >
        <label htmlFor={`${id}-edit`}>{editTarget ? `New ${editTarget}` : 'New value (select a value first)'}</label>
        <input
          id={`${id}-edit`}
          value={editText}
          onChange={(e) => setEditText(e.target.value)}
          disabled={!editInView}
          placeholder={radix === 'hex' ? 'hex, e.g. ff' : 'decimal'}
          aria-invalid={editError ? true : undefined}
          aria-describedby={editError ? `${id}-edit-error` : undefined}
          spellCheck={false}
          autoComplete="off"
        />
        <button type="submit" disabled={!editInView || !canWrite}>
          Write value
        </button>
        {editError ? (
          <small id={`${id}-edit-error`} className="field__error">
            {editError}
          </small>
        ) : null}
      </form>

      <p className="inspector__message" aria-live="polite">
        {page.error ? `Cannot read the mapping: ${page.error}` : message}
      </p>
      {watching ? (
        <p className="inspector__watching" data-testid="watch-summary">
          Watching every {intervalMs < 1000 ? `${intervalMs} ms` : `${intervalMs / 1000} s`}: {page.changed.size} byte
          {page.changed.size === 1 ? '' : 's'} changed at the last refresh
          {page.readAt ? ` (${page.readAt.toLocaleTimeString()})` : ''}
        </p>
      ) : null}
    </section>
  );
}
