// The SharedMemory window: the original Qt dialog's three buttons and text
// view, plus size, range, write and verify controls. Input is validated here,
// before anything is sent; the request rules live in state/app-state.ts.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { MAX_VALUES_PER_CALL, type SharedMemoryApi } from '../../api/shared-memory-api.js';
import { SHM_DEFAULT_MAX_SIZE } from '../../api/device.js';
import { BackendBanner } from './components/backend-banner.js';
import { ErrorAlert } from './components/error-alert.js';
import { MemoryInspector } from './components/memory-inspector.js';
import { MemoryView } from './components/memory-view.js';
import { NumberField } from './components/number-field.js';
import { StatusPanel } from './components/status-panel.js';
import { StreamPanel } from './components/stream-panel.js';
import { VerificationResult } from './components/verification-result.js';
import { parseCount, parseOffset, parseSize, parseValues, sizeAboveDriverMax, valueRoom, type Parsed } from './input/parse-number.js';
import {
  canAllocate,
  canFill,
  canRefresh,
  canRelease,
  canStartDriver,
  canVerify,
  canWrite,
  phaseLabel,
} from './state/app-state.js';
import { shortcutOf, SHORTCUTS, titleWithShortcut, type ShortcutAction } from './input/shortcuts.js';
import { useSharedMemory } from './state/use-shared-memory.js';
import type { TransportKind } from './transport/create-api.js';

type FieldName = 'size' | 'viewOffset' | 'viewCount' | 'writeOffset' | 'writeValues';
type FieldErrors = Partial<Record<FieldName, string>>;

export const DEFAULT_SIZE = '4096';

export function App({ api, transport }: { api: SharedMemoryApi; transport: TransportKind }) {
  const [state, actions] = useSharedMemory(api);
  const [fields, setFields] = useState<Record<FieldName, string>>({
    size: DEFAULT_SIZE,
    viewOffset: '0',
    viewCount: '10',
    writeOffset: '0',
    writeValues: '',
  });
  const [errors, setErrors] = useState<FieldErrors>({});

  const allocation = state.status?.allocation ?? null;
  const maxSize = state.status?.device?.maxSize ?? SHM_DEFAULT_MAX_SIZE;
  const mappedSize = allocation?.mappedSize ?? 0;

  const edit = (name: FieldName) => (value: string) => {
    setFields((f) => ({ ...f, [name]: value }));
    setErrors((e) => ({ ...e, [name]: undefined }));
  };

  /** Shows each field's message (or clears it); true when every result is ok. */
  function report(results: Partial<Record<FieldName, Parsed<unknown>>>): boolean {
    const next: FieldErrors = {};
    for (const [name, result] of Object.entries(results)) next[name as FieldName] = result.ok ? undefined : result.message;
    setErrors((e) => ({ ...e, ...next }));
    return Object.values(results).every((result) => result.ok);
  }

  /** Values that fit from an offset (from 0 while the offset itself is wrong). */
  const roomAt = (offset: Parsed<number>) => valueRoom(mappedSize, offset.ok ? offset.value : 0, MAX_VALUES_PER_CALL);

  /** The view range's offset and count, checked against the mapping. */
  function parseRange(): { offset: Parsed<number>; count: Parsed<number> } {
    const offset = parseOffset(fields.viewOffset, mappedSize);
    return { offset, count: parseCount(fields.viewCount, roomAt(offset)) };
  }

  const allocate = () => {
    if (!canAllocate(state)) return;
    const size = parseSize(fields.size);
    if (report({ size }) && size.ok) void actions.allocate(size.value);
  };

  const fill = () => {
    if (!canFill(state)) return;
    const { offset, count } = parseRange();
    if (report({ viewOffset: offset, viewCount: count }) && offset.ok && count.ok) void actions.fill(offset.value, count.value);
  };

  const release = () => {
    if (canRelease(state)) void actions.release();
  };

  const submit = (run: () => void) => (event: FormEvent) => {
    event.preventDefault();
    run();
  };

  // The shortcuts run what the buttons run, with the state of this render.
  const shortcutActions = useRef<Record<ShortcutAction, () => void>>({ allocate, fill, release });
  useEffect(() => {
    shortcutActions.current = { allocate, fill, release };
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutOf(event);
      if (!action) return;
      event.preventDefault();
      shortcutActions.current[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onVerify = () => {
    if (!canVerify(state)) return;
    const { offset, count } = parseRange();
    if (report({ viewOffset: offset, viewCount: count }) && offset.ok && count.ok) void actions.verify(offset.value, count.value);
  };

  const onWrite = (event: FormEvent) => {
    event.preventDefault();
    if (!canWrite(state)) return;
    const offset = parseOffset(fields.writeOffset, mappedSize);
    const values = parseValues(fields.writeValues, roomAt(offset));
    if (report({ writeOffset: offset, writeValues: values }) && offset.ok && values.ok) void actions.write(offset.value, values.value);
  };

  return (
    <main className="window">
      <header className="window__header">
        <h1>SharedMemory</h1>
        <p>Pages allocated by a kernel driver and mapped into this app: both sides read and write the same memory, no copies.</p>
      </header>

      <BackendBanner status={state.status} transport={transport} canStartDriver={canStartDriver(state)} onStartDriver={() => void actions.startDriver()} />
      <ErrorAlert error={state.error} onDismiss={actions.dismissError} />

      <div className="window__body">
        <div className="window__controls">
          <form className="panel" onSubmit={submit(allocate)} aria-label="Allocation" noValidate>
            <h2>Allocation</h2>
            <NumberField
              label="Size (bytes)"
              value={fields.size}
              onChange={edit('size')}
              error={errors.size ?? null}
              help={
                sizeAboveDriverMax(fields.size, maxSize) ??
                'Decimal, hex (0x1000) or with K/M (4K); rounded up to whole pages.'
              }
              disabled={allocation !== null}
            />
            <div className="buttons">
              <button
                type="submit"
                disabled={!canAllocate(state)}
                title={titleWithShortcut('Allocate memory', 'allocate')}
                aria-keyshortcuts={SHORTCUTS.allocate.label}
              >
                Allocate memory
              </button>
              <button
                type="button"
                onClick={release}
                disabled={!canRelease(state)}
                title={titleWithShortcut('Release memory', 'release')}
                aria-keyshortcuts={SHORTCUTS.release.label}
              >
                Release memory
              </button>
            </div>
          </form>

          <form className="panel" onSubmit={submit(fill)} aria-label="View range" noValidate>
            <h2>View</h2>
            <div className="field-row">
              <NumberField label="Offset (bytes)" value={fields.viewOffset} onChange={edit('viewOffset')} error={errors.viewOffset ?? null} />
              <NumberField label="Count (values)" value={fields.viewCount} onChange={edit('viewCount')} error={errors.viewCount ?? null} />
            </div>
            <div className="buttons">
              <button
                type="submit"
                disabled={!canFill(state)}
                title={titleWithShortcut('Fill view', 'fill')}
                aria-keyshortcuts={SHORTCUTS.fill.label}
              >
                Fill view
              </button>
              <button type="button" onClick={onVerify} disabled={!canVerify(state)}>
                Verify in driver
              </button>
            </div>
          </form>

          <form className="panel" onSubmit={onWrite} aria-label="Write" noValidate>
            <h2>Write</h2>
            <NumberField label="Write at offset (bytes)" value={fields.writeOffset} onChange={edit('writeOffset')} error={errors.writeOffset ?? null} />
            <NumberField
              label="Values to write"
              value={fields.writeValues}
              onChange={edit('writeValues')}
              error={errors.writeValues ?? null}
              help="u16 values separated by spaces or commas: 1 2 3 or 0xbeef."
              multiline
            />
            <div className="buttons">
              <button type="submit" disabled={!canWrite(state)}>
                Write values
              </button>
            </div>
          </form>
        </div>

        <div className="window__output">
          <section className="panel" aria-label="Memory">
            <h2>Shared memory</h2>
            <MemoryView view={state.view} allocated={allocation !== null} />
            <VerificationResult verification={state.verification} />
          </section>
          <StatusPanel phase={phaseLabel(state)} status={state.status} notice={state.notice} />
          <div className="buttons">
            <button type="button" onClick={() => void actions.refresh()} disabled={!canRefresh(state)}>
              Refresh status
            </button>
          </div>
        </div>

        <div className="window__inspector">
          <MemoryInspector api={api} mappedSize={mappedSize} canWrite={canWrite(state)} onWrite={actions.write} />
        </div>
      </div>

      <StreamPanel
        api={api}
        state={state}
        onStart={(rateHz) => void actions.startStream(rateHz)}
        onStop={() => void actions.stopStream()}
      />
    </main>
  );
}
