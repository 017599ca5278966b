// The window's state and the rules of the original dialog, as a pure reducer:
// Fill and Release only after Allocate, Allocate only while nothing is held,
// one request at a time. A failed request records the error and keeps
// everything else (status, the view, the last verification) as it was.
import type { ApiError, ApiName, Status, Values, Verification } from '../../../api/shared-memory-api.js';
import { SHM_FEATURE_STREAM } from '../../../api/device.js';

export type Operation = ApiName;

export interface AppState {
  /** The last status the backend reported; null until the first answer. */
  status: Status | null;
  /** The request in flight, if any; every action button waits for it. */
  pending: Operation | null;
  /** The values shown in the Shared memory view, or null before Fill view. */
  view: Values | null;
  /** The last Verify in driver result, for the range it covered. */
  verification: Verification | null;
  /** The last failure, shown until dismissed or until the next request succeeds. */
  error: ApiError | null;
  /** One line about the last success, e.g. "Wrote 3 values at 0x0". */
  notice: string | null;
}

export type AppAction =
  | { type: 'request-started'; operation: Operation }
  | { type: 'request-failed'; operation: Operation; error: ApiError }
  | { type: 'status-loaded'; status: Status }
  | { type: 'status-synced'; status: Status }
  | { type: 'allocated'; status: Status }
  | { type: 'released'; status: Status }
  | { type: 'driver-started'; status: Status }
  | { type: 'status-pushed'; status: Status }
  | { type: 'push-failed'; error: ApiError }
  | { type: 'stream-changed'; status: Status }
  | { type: 'view-filled'; values: Values }
  | { type: 'values-written'; written: Values }
  | { type: 'verified'; verification: Verification }
  | { type: 'error-dismissed' };

export const initialState: AppState = {
  status: null,
  pending: null,
  view: null,
  verification: null,
  error: null,
  notice: null,
};

const hex = (n: number): string => `0x${n.toString(16)}`;

/** After allocate, release or a driver switch: what was viewed or verified belongs to other memory. */
function withNewMemory(state: AppState, status: Status, notice: string | null): AppState {
  return { ...state, pending: null, status, view: null, verification: null, error: null, notice };
}

export function appReducer(state: AppState, action: AppAction): AppState {
  switch (action.type) {
    case 'request-started':
      return { ...state, pending: action.operation, notice: null };
    case 'request-failed':
      return { ...state, pending: null, error: action.error, notice: null };
    case 'status-loaded':
      return { ...withStatus(state, action.status), pending: null, error: null };
    case 'status-synced':
      // The catch-up after a failure: the error stays on screen.
      return withStatus(state, action.status);
    case 'allocated': {
      const a = action.status.allocation;
      return withNewMemory(state, action.status, a ? `Allocated ${a.mappedSize} bytes at ${a.userAddress}` : null);
    }
    case 'released':
      return withNewMemory(state, action.status, 'Released the shared memory');
    case 'driver-started':
      return withNewMemory(state, action.status, `Switched to the ${action.status.backend.kind} driver`);
    case 'view-filled':
      return { ...state, pending: null, view: action.values, error: null };
    case 'values-written': {
      const { written } = action;
      return {
        ...state,
        pending: null,
        view: state.view ? mergeValues(state.view, written) : state.view,
        // What was verified before the write may no longer hold.
        verification: null,
        error: null,
        notice: `Wrote ${written.values.length} value${written.values.length === 1 ? '' : 's'} at ${hex(written.offset)}`,
      };
    }
    case 'verified':
      return { ...state, pending: null, verification: action.verification, error: null };
    case 'status-pushed': {
      // Another window (or this one) changed the device: take its status; what
      // was viewed belongs to other memory when the allocation changed.
      const same = state.status?.allocation?.userAddress === action.status.allocation?.userAddress;
      return same ? { ...state, status: action.status } : { ...state, status: action.status, view: null, verification: null };
    }
    case 'push-failed':
      return { ...state, error: action.error };
    case 'stream-changed': {
      const stream = action.status.stream;
      const notice = stream ? (stream.state === 'running' ? `Streaming ${stream.rateHz} records/s` : 'Stopped the stream') : null;
      return { ...state, pending: null, status: action.status, error: null, notice };
    }
    case 'error-dismissed':
      return { ...state, error: null };
  }
}

/** The state with a new status; values shown from a released allocation go. */
function withStatus(state: AppState, status: Status): AppState {
  return status.allocation ? { ...state, status } : { ...state, status, view: null, verification: null };
}

/** The shown values with the written ones put in place where the ranges overlap. */
export function mergeValues(view: Values, written: Values): Values {
  const values = [...view.values];
  written.values.forEach((v, i) => {
    const index = (written.offset - view.offset) / 2 + i;
    if (index >= 0 && index < values.length) values[index] = v;
  });
  return { offset: view.offset, values };
}

// What the buttons may do now. Everything waits for the request in flight.
const idle = (s: AppState): boolean => s.pending === null && s.status !== null;
const allocated = (s: AppState): boolean => s.status?.allocation != null;

export const canAllocate = (s: AppState): boolean => idle(s) && !allocated(s);
export const canFill = (s: AppState): boolean => idle(s) && allocated(s);
export const canRelease = (s: AppState): boolean => idle(s) && allocated(s);
export const canWrite = (s: AppState): boolean => idle(s) && allocated(s);
export const canVerify = (s: AppState): boolean => idle(s) && allocated(s);
export const canStartDriver = (s: AppState): boolean =>
  idle(s) && !allocated(s) && s.status?.driverService?.canStart === true;
export const canRefresh = (s: AppState): boolean => s.pending === null;

/** Bytes streaming needs: the ring header's page and at least one page of records. */
export const streamMinimumBytes = (s: AppState): number => 2 * (s.status?.device?.pageSize ?? 4096);

/**
 * Why Start stream is not possible now, in words for the window, or null
 * when it is (CONTRACT.md 5.5: an allocation of two pages or more, no stream).
 */
export function streamStartBlocker(s: AppState): string | null {
  const status = s.status;
  if (!status) return 'Not connected to the app yet.';
  const device = status.device;
  if (device && (device.features & SHM_FEATURE_STREAM) === 0) {
    return `This driver does not stream (version ${device.driverVersion >>> 16}.${device.driverVersion & 0xffff}); install driver 1.1 or later.`;
  }
  const minimum = streamMinimumBytes(s);
  const allocation = status.allocation;
  if (!allocation) return `Allocate memory of at least ${minimum} bytes (two pages) to stream: the ring's header takes the first page.`;
  if (allocation.mappedSize < minimum) {
    return `This allocation is one page; streaming needs at least ${minimum} bytes. Release memory and allocate more.`;
  }
  const stream = status.stream;
  if (stream?.state === 'running') return 'A stream is running: Stop stream first.';
  if (stream) {
    return `The ${stream.state} stream keeps its ring until Release memory (the driver refuses a second start on one allocation): release and allocate again for a new stream.`;
  }
  return null;
}

export const canStartStream = (s: AppState): boolean => idle(s) && streamStartBlocker(s) === null;
export const canStopStream = (s: AppState): boolean => idle(s) && s.status?.stream?.state === 'running';

/** The one-word state the Status region leads with. */
export function phaseLabel(s: AppState): string {
  if (s.status === null) return s.pending ? 'Connecting…' : 'Not connected';
  return allocated(s) ? 'Allocated' : 'Not allocated';
}
