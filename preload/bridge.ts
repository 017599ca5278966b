// The API object the preload exposes to the page: one function per channel of
// the API definition, each sending its request on that channel only, and one
// `subscribe` that listens on the push channels of the definition only. The
// page never gets ipcRenderer or any other channel.
// Names only at run time: the schemas (zod) stay out of the preload bundle.
import { apiEventNames, apiNames, ipcChannel, ipcEventChannel, type ApiEventName, type ApiName } from '../api/api-names.js';
import type { ApiResult, RawSubscribe, SharedMemoryCalls } from '../api/shared-memory-api.js';

/** ipcRenderer.invoke, as far as the bridge needs it. */
export type InvokeChannel = (channel: string, request: unknown) => Promise<unknown>;
/** ipcRenderer.on + removeListener, as far as the bridge needs it: returns the remover. */
export type ListenChannel = (channel: string, listener: (payload: unknown) => void) => () => void;

/** What the preload exposes: the calls, and the pushes unvalidated (the page validates them). */
export type SharedMemoryBridge = SharedMemoryCalls & { subscribe: RawSubscribe };

export function createBridge(invoke: InvokeChannel, listen: ListenChannel): SharedMemoryBridge {
  const entries = apiNames.map((name: ApiName) => {
    const call = async (request: unknown): Promise<ApiResult<unknown>> => {
      try {
        // The main process answers every call with an ApiResult.
        return (await invoke(ipcChannel(name), request)) as ApiResult<unknown>;
      } catch (error) {
        return {
          ok: false,
          error: {
            operation: name,
            kind: 'transport',
            message: `${name} failed: the app's main process did not answer (${error instanceof Error ? error.message : String(error)}).`,
            hint: 'Restart SharedMemory',
          },
        };
      }
    };
    return [name, call] as const;
  });
  const subscribe: RawSubscribe = (name: ApiEventName, listener) => {
    // Only the definition's push channels; anything else gets nothing.
    if (!apiEventNames.includes(name) || typeof listener !== 'function') return () => undefined;
    return listen(ipcEventChannel(name), (payload) => listener(payload));
  };
  // One entry per API name, each typed by the shared definition.
  return Object.freeze({ ...Object.fromEntries(entries), subscribe }) as unknown as SharedMemoryBridge;
}
