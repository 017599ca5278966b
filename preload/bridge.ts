// The API object the preload exposes to the page: one function per channel of
// the API definition, each sending its request on that channel only. The page
// never gets ipcRenderer or any other channel.
// Names only at run time: the schemas (zod) stay out of the preload bundle.
import { apiNames, ipcChannel, type ApiName } from '../api/api-names.js';
import type { ApiResult, SharedMemoryApi } from '../api/shared-memory-api.js';

/** ipcRenderer.invoke, as far as the bridge needs it. */
export type InvokeChannel = (channel: string, request: unknown) => Promise<unknown>;

export function createBridge(invoke: InvokeChannel): SharedMemoryApi {
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
  // One entry per API name, each typed by the shared definition.
  return Object.freeze(Object.fromEntries(entries)) as unknown as SharedMemoryApi;
}
