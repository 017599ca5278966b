// The API's channel and push names and how they cross Electron's IPC, without
// the schemas: the preload needs only these, and stays small by not pulling zod
// in (the main process validates every request anyway). The definition in
// shared-memory-api.ts is checked, at compile time, to have exactly these keys.

export const apiNames = [
  'getStatus',
  'allocate',
  'readValues',
  'writeValues',
  'verify',
  'release',
  'startDriver',
  'startStream',
  'stopStream',
] as const;

export type ApiName = (typeof apiNames)[number];

/** The Electron IPC channel of an API function. */
export const ipcChannel = (name: ApiName): string => `sharedmemory:${name}`;

/** The pushes from the service (apiEventDefinition), likewise checked against the definition. */
export const apiEventNames = ['stateChanged', 'streamUpdate'] as const;

export type ApiEventName = (typeof apiEventNames)[number];

/** The Electron IPC channel a push arrives on. */
export const ipcEventChannel = (name: ApiEventName): string => `sharedmemory-event:${name}`;

/** The name under which the preload exposes the API on `window`. */
export const BRIDGE_KEY = 'sharedMemory';

/**
 * Export to a file, Electron only: the main process asks where (a save
 * dialog) and writes the bytes itself, so the page never touches the file
 * system. Browser mode downloads instead.
 */
export const EXPORT_CHANNEL = 'sharedmemory-file:exportRange';
/** The name under which the preload exposes the export on `window`. */
export const EXPORT_BRIDGE_KEY = 'sharedMemoryFiles';
