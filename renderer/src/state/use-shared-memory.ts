// Connects the pure reducer to the API: each user action is one request,
// dispatched as started / succeeded / failed. The hook never throws; failures
// land in state.error.
import { useEffect, useMemo, useReducer } from 'react';
import type { ApiResult, SharedMemoryApi } from '../../../api/shared-memory-api.js';
import { appReducer, initialState, type AppAction, type AppState, type Operation } from './app-state.js';

export interface SharedMemoryActions {
  refresh: () => Promise<void>;
  allocate: (size: number) => Promise<void>;
  fill: (offset: number, count: number) => Promise<void>;
  write: (offset: number, values: number[]) => Promise<void>;
  verify: (offset: number, count: number) => Promise<void>;
  release: () => Promise<void>;
  startDriver: () => Promise<void>;
  startStream: (rateHz: number) => Promise<void>;
  stopStream: () => Promise<void>;
  dismissError: () => void;
}

export function useSharedMemory(api: SharedMemoryApi): [AppState, SharedMemoryActions] {
  const [state, dispatch] = useReducer(appReducer, initialState);

  const actions = useMemo((): SharedMemoryActions => {
    async function run<T>(
      operation: Operation,
      call: () => Promise<ApiResult<T>>,
      done: (value: T) => AppAction,
    ): Promise<void> {
      dispatch({ type: 'request-started', operation });
      const result = await call();
      if (result.ok) {
        dispatch(done(result.value));
        return;
      }
      dispatch({ type: 'request-failed', operation, error: result.error });
      // A refusal often means the window's picture is stale (another window
      // allocated, the driver went away): catch up, keeping the error shown.
      if (operation !== 'getStatus') {
        const fresh = await api.getStatus({});
        if (fresh.ok) dispatch({ type: 'status-synced', status: fresh.value });
      }
    }
    return {
      refresh: () => run('getStatus', () => api.getStatus({}), (status) => ({ type: 'status-loaded', status })),
      allocate: (size) => run('allocate', () => api.allocate({ size }), (status) => ({ type: 'allocated', status })),
      fill: (offset, count) =>
        run('readValues', () => api.readValues({ offset, count }), (values) => ({ type: 'view-filled', values })),
      write: (offset, values) =>
        run('writeValues', () => api.writeValues({ offset, values }), (written) => ({ type: 'values-written', written })),
      verify: (offset, count) =>
        run('verify', () => api.verify({ offset, count }), (verification) => ({ type: 'verified', verification })),
      release: () => run('release', () => api.release({}), (status) => ({ type: 'released', status })),
      startDriver: () => run('startDriver', () => api.startDriver({}), (status) => ({ type: 'driver-started', status })),
      startStream: (rateHz) =>
        run('startStream', () => api.startStream({ rateHz }), (status) => ({ type: 'stream-changed', status })),
      stopStream: () => run('stopStream', () => api.stopStream({}), (status) => ({ type: 'stream-changed', status })),
      dismissError: () => dispatch({ type: 'error-dismissed' }),
    };
  }, [api]);

  const { refresh } = actions;
  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Live state: every change the service pushes (from any window) lands here.
  useEffect(
    () =>
      api.subscribe('stateChanged', (event) =>
        dispatch(event.ok ? { type: 'status-pushed', status: event.value.status } : { type: 'push-failed', error: event.error }),
      ),
    [api],
  );

  return [state, actions];
}
