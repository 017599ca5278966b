// The main process's IPC handlers, one per channel of the API definition.
// Each checks who is asking (only the app's own page, never another frame or
// a navigated-away page) and what is asked (the service validates the request
// against the channel's schema), then calls the service. Results are plain
// ApiResults: a failure is data for the window, never a thrown IPC error.
import { apiNames, ipcChannel, type ApiError, type ApiName, type ApiResult } from '../../api/shared-memory-api.js';

/** The one thing the handlers use from Electron's IpcMainInvokeEvent. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null;
}

/** The part of Electron's ipcMain the handlers need. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface ApiInvoker {
  invoke(name: ApiName, request: unknown): Promise<ApiResult<unknown>>;
}

/** The app's page is served from app://sharedmemory/ and nowhere else. */
export const APP_ORIGIN = 'app://sharedmemory';

export function isAppFrameUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'app:' && parsed.host === 'sharedmemory' && !parsed.username && !parsed.password;
  } catch {
    return false;
  }
}

const refused = (name: ApiName, kind: string, message: string): ApiResult<never> => {
  const error: ApiError = { operation: name, kind, message };
  return { ok: false, error };
};

/** Registers every channel; returns a function that removes them again. */
export function registerApiHandlers(
  ipc: IpcMainLike,
  service: ApiInvoker,
  isTrustedFrame: (url: string | undefined | null) => boolean = isAppFrameUrl,
): () => void {
  for (const name of apiNames) {
    ipc.handle(ipcChannel(name), async (event, ...args) => {
      if (!isTrustedFrame(event.senderFrame?.url)) {
        return refused(name, 'forbidden-sender', `${name} refused: the request did not come from the SharedMemory window.`);
      }
      if (args.length !== 1) {
        return refused(
          name,
          'invalid-request',
          `${name} refused an invalid request: expected one request object, got ${args.length} arguments.`,
        );
      }
      return service.invoke(name, args[0]);
    });
  }
  return () => {
    for (const name of apiNames) ipc.removeHandler(ipcChannel(name));
  };
}
