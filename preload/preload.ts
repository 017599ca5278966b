// Runs in the sandboxed preload of the SharedMemory window: exposes the
// narrow API built from the shared definition, nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY } from '../api/shared-memory-api.js';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld(
  BRIDGE_KEY,
  createBridge(
    (channel, request) => ipcRenderer.invoke(channel, request),
    (channel, listener) => {
      // The page gets the payload only, never the event (it carries the sender).
      const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
      ipcRenderer.on(channel, forward);
      return () => {
        ipcRenderer.removeListener(channel, forward);
      };
    },
  ),
);
