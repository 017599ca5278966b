// Runs in the sandboxed preload of the SharedMemory window: exposes the
// narrow API built from the shared definition, nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_KEY } from '../api/api-names.js';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld(
  BRIDGE_KEY,
  createBridge((channel, request) => ipcRenderer.invoke(channel, request)),
);
