// The Electron main process: one window mirroring the original dialog, the
// SharedMemoryService behind typed IPC, and Electron's security checklist:
// context isolation, sandbox, no Node in the page, a strict CSP, checked IPC
// senders, no navigation, no new windows, no permissions. koffi (inside the
// kernel backends) is loaded here only. On quit the service releases the
// allocation and closes the device.
//
//   electron . [--backend auto|simulated|linux|windows]
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { APP_ENTRY_URL, ELECTRON_CSP, handleAppProtocol, registerAppScheme } from './app-protocol.js';
import { isAppFrameUrl, registerApiHandlers } from './ipc/api-handlers.js';
import { broadcastEvents } from './ipc/event-broadcast.js';
import {
  BackendUnavailableError,
  backendChoices,
  isBackendChoice,
  loadDriverService,
  selectBackend,
  type BackendChoice,
} from './service/backend-selection.js';
import { SharedMemoryService } from './service/shared-memory-service.js';
import { createSimulatedBackend } from './simulated/simulated-backend.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', 'renderer');
const preloadPath = join(here, '..', 'preload', 'preload.cjs');

function backendChoice(): { choice: BackendChoice; problem: string | null } {
  // Electron and Chromium add their own switches: read ours, ignore the rest.
  const { values } = parseArgs({
    args: process.argv.slice(1),
    options: { backend: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const raw = typeof values.backend === 'string' ? values.backend : (process.env.SHAREDMEMORY_BACKEND ?? 'auto');
  if (isBackendChoice(raw)) return { choice: raw, problem: null };
  return { choice: 'auto', problem: `--backend must be one of ${backendChoices.join(', ')}, not "${raw}"` };
}

async function createService(): Promise<SharedMemoryService> {
  const { choice, problem } = backendChoice();
  const driverService = await loadDriverService();
  try {
    const selected = await selectBackend(choice);
    const reason = problem ? `${selected.reason} (${problem}; using auto)` : selected.reason;
    return new SharedMemoryService({ ...selected, reason, driverService });
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    // The window stays usable and says plainly why it is not the kernel driver.
    const backend = createSimulatedBackend();
    return new SharedMemoryService({
      backend,
      reason: `Simulated driver — ${error.message}`,
      driverService,
    });
  }
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 760,
    height: 720,
    title: 'SharedMemory',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}

registerAppScheme();
app.enableSandbox();

// Every web contents: no navigation away from the app, no new windows, no webviews.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

let service: SharedMemoryService | null = null;
let quitting = false;

app.on('before-quit', (event) => {
  if (quitting || !service) return;
  // Release and close before the process goes, then quit for real.
  event.preventDefault();
  quitting = true;
  void service.dispose().finally(() => app.quit());
});
app.on('window-all-closed', () => app.quit());

app
  .whenReady()
  .then(async () => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    // Anything not served by the app protocol gets the same policy.
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
    });
    handleAppProtocol(rendererDir);
    service = await createService();
    registerApiHandlers(ipcMain, service, isAppFrameUrl);
    // State changes and stream updates go to every window.
    broadcastEvents(service, () => BrowserWindow.getAllWindows());
    createWindow();
  })
  .catch((error: unknown) => {
    console.error(`SharedMemory: cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    app.exit(1);
  });
