// The main process's half of the pushes: every event the service emits goes
// to every open SharedMemory window (webContents.send), so a second window
// never goes stale. Windows showing anything but the app's own page get
// nothing.
import { apiEventNames, ipcEventChannel, type SharedMemoryEvents } from '../../api/shared-memory-api.js';
import { isAppFrameUrl } from './api-handlers.js';

/** The part of a BrowserWindow the broadcast needs. */
export interface WindowLike {
  webContents: {
    send(channel: string, payload: unknown): void;
    getURL(): string;
    isDestroyed(): boolean;
  };
}

/** Forwards every push to every window `windows()` lists; returns the function that stops it. */
export function broadcastEvents(events: SharedMemoryEvents, windows: () => readonly WindowLike[]): () => void {
  const stops = apiEventNames.map((name) =>
    events.subscribe(name, (event) => {
      if (!event.ok) return;
      for (const window of windows()) {
        const contents = window.webContents;
        if (contents.isDestroyed() || !isAppFrameUrl(contents.getURL())) continue;
        contents.send(ipcEventChannel(name), event.value);
      }
    }),
  );
  return () => stops.forEach((stop) => stop());
}
