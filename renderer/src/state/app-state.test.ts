import { describe, expect, it } from 'vitest';
import type { ApiError, Status } from '../../../api/shared-memory-api.js';
import {
  appReducer,
  canAllocate,
  canFill,
  canRefresh,
  canRelease,
  canStartDriver,
  canVerify,
  canWrite,
  initialState,
  mergeValues,
  phaseLabel,
  type AppAction,
  type AppState,
} from './app-state.js';

const base: Status = {
  backend: { kind: 'simulated', reason: 'Simulated driver — the kernel driver is not installed', simulated: true },
  device: { abiVersion: 1, driverVersion: 0x10001, pageSize: 4096, maxSize: 64 << 20, totalBytes: 0, allocations: 0, features: 1 },
  allocation: null,
  driverService: null,
  stream: null,
};
const held: Status = {
  ...base,
  device: { ...base.device!, totalBytes: 4096, allocations: 1 },
  allocation: { userAddress: '0x7f0000001000', requestedSize: 100, mappedSize: 4096 },
};
const busyError: ApiError = { operation: 'allocate', kind: 'busy', message: 'allocate failed: busy (EBUSY, 16)', osName: 'EBUSY', osCode: 16 };

const run = (...actions: AppAction[]): AppState => actions.reduce(appReducer, initialState);
const buttons = (s: AppState) => ({
  allocate: canAllocate(s),
  fill: canFill(s),
  release: canRelease(s),
  write: canWrite(s),
  verify: canVerify(s),
});

describe('the dialog rules', () => {
  it('enables nothing before the first status arrives', () => {
    expect(buttons(initialState)).toEqual({ allocate: false, fill: false, release: false, write: false, verify: false });
    expect(phaseLabel(initialState)).toBe('Not connected');
    expect(phaseLabel(run({ type: 'request-started', operation: 'getStatus' }))).toBe('Connecting…');
  });

  it('allows only Allocate while nothing is held', () => {
    const s = run({ type: 'status-loaded', status: base });
    expect(buttons(s)).toEqual({ allocate: true, fill: false, release: false, write: false, verify: false });
    expect(phaseLabel(s)).toBe('Not allocated');
  });

  it('allows Fill, Release, Write and Verify, not Allocate, while allocated', () => {
    const s = run({ type: 'status-loaded', status: base }, { type: 'allocated', status: held });
    expect(buttons(s)).toEqual({ allocate: false, fill: true, release: true, write: true, verify: true });
    expect(phaseLabel(s)).toBe('Allocated');
    expect(s.notice).toBe('Allocated 4096 bytes at 0x7f0000001000');
  });

  it('disables every action while a request is in flight', () => {
    const s = run({ type: 'allocated', status: held }, { type: 'request-started', operation: 'readValues' });
    expect(buttons(s)).toEqual({ allocate: false, fill: false, release: false, write: false, verify: false });
    expect(canRefresh(s)).toBe(false);
  });

  it('goes back to Allocate only after Release, and forgets the view', () => {
    const s = run(
      { type: 'allocated', status: held },
      { type: 'view-filled', values: { offset: 0, values: [10, 9] } },
      { type: 'released', status: base },
    );
    expect(buttons(s)).toEqual({ allocate: true, fill: false, release: false, write: false, verify: false });
    expect(s.view).toBeNull();
    expect(s.notice).toBe('Released the shared memory');
  });
});

describe('failures keep the state', () => {
  it('records the error and keeps status, view and verification', () => {
    const before = run(
      { type: 'allocated', status: held },
      { type: 'view-filled', values: { offset: 0, values: [10, 9, 8] } },
      { type: 'verified', verification: { offset: 0, mapping: [10], driver: [10], matches: true } },
      { type: 'request-started', operation: 'allocate' },
    );
    const after = appReducer(before, { type: 'request-failed', operation: 'allocate', error: busyError });
    expect(after.error).toEqual(busyError);
    expect(after.pending).toBeNull();
    expect(after.status).toBe(before.status);
    expect(after.view).toBe(before.view);
    expect(after.verification).toBe(before.verification);
    expect(buttons(after).fill).toBe(true);
  });

  it('clears the error on dismiss and on the next success', () => {
    const failed = run({ type: 'allocated', status: held }, { type: 'request-failed', operation: 'allocate', error: busyError });
    expect(appReducer(failed, { type: 'error-dismissed' }).error).toBeNull();
    expect(appReducer(failed, { type: 'view-filled', values: { offset: 0, values: [1] } }).error).toBeNull();
  });

  it('a catch-up status keeps the error on screen; a loaded one clears it', () => {
    const failed = run({ type: 'allocated', status: held }, { type: 'request-failed', operation: 'allocate', error: busyError });
    expect(appReducer(failed, { type: 'status-synced', status: held }).error).toEqual(busyError);
    expect(appReducer(failed, { type: 'status-loaded', status: held }).error).toBeNull();
  });

  it('a status without an allocation drops values that are no longer there', () => {
    const s = run(
      { type: 'allocated', status: held },
      { type: 'view-filled', values: { offset: 0, values: [10] } },
      { type: 'status-loaded', status: base },
    );
    expect(s.view).toBeNull();
    expect(canAllocate(s)).toBe(true);
  });
});

describe('writing', () => {
  it('puts the written values into the shown range and drops the old verification', () => {
    const s = run(
      { type: 'allocated', status: held },
      { type: 'view-filled', values: { offset: 0, values: [10, 9, 8, 7] } },
      { type: 'verified', verification: { offset: 0, mapping: [10], driver: [10], matches: true } },
      { type: 'values-written', written: { offset: 2, values: [100, 200] } },
    );
    expect(s.view).toEqual({ offset: 0, values: [10, 100, 200, 7] });
    expect(s.verification).toBeNull();
    expect(s.notice).toBe('Wrote 2 values at 0x2');
  });

  it('merges only the overlap', () => {
    expect(mergeValues({ offset: 4, values: [1, 2] }, { offset: 0, values: [7, 8, 9] })).toEqual({ offset: 4, values: [9, 2] });
    expect(mergeValues({ offset: 0, values: [1, 2] }, { offset: 100, values: [7] })).toEqual({ offset: 0, values: [1, 2] });
  });
});

describe('Start driver', () => {
  it('is offered only when the service says it can start and nothing is held', () => {
    const stopped: Status = { ...base, driverService: { state: 'stopped', detail: 'Service SharedMemory is stopped', canStart: true } };
    expect(canStartDriver(run({ type: 'status-loaded', status: base }))).toBe(false);
    expect(canStartDriver(run({ type: 'status-loaded', status: stopped }))).toBe(true);
    expect(canStartDriver(run({ type: 'status-loaded', status: { ...held, driverService: stopped.driverService } }))).toBe(false);
    const started = run({ type: 'status-loaded', status: stopped }, { type: 'driver-started', status: { ...base, backend: { kind: 'linux', reason: 'kernel', simulated: false } } });
    expect(started.notice).toBe('Switched to the linux driver');
  });
});
