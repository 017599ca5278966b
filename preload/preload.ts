// Runs in the sandboxed preload of the SharedMemory window: exposes the
// narrow API built from the shared definition and the export to a file,
// nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY, EXPORT_BRIDGE_KEY } from '../api/api-names.js';
import { createBridge } from './bridge.js';
import { createExportBridge } from './export-bridge.js';

const invoke = (channel: string, request: unknown): Promise<unknown> => ipcRenderer.invoke(channel, request);
contextBridge.exposeInMainWorld(
  BRIDGE_KEY,
  createBridge(invoke, (channel, listener) => {
    // The page gets the payload only, never the event (it carries the sender).
    const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  }),
);
contextBridge.exposeInMainWorld(EXPORT_BRIDGE_KEY, createExportBridge(invoke));
