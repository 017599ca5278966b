// The Electron main process: one window mirroring the original dialog, the
// SharedMemoryService behind typed IPC, and Electron's security checklist:
// context isolation, sandbox, no Node in the page, a strict CSP, checked IPC
// senders, no navigation, no new windows, no permissions. koffi (inside the
// kernel backends) is loaded here only. On quit the service releases the
// allocation and closes the device. One instance at a time (two would fight
// over the device): a second launch focuses the first window. A window that
// cannot load, or loads without its preload, says so instead of staying blank.
//
//   electron . [--backend auto|simulated|linux|windows]
import { app, BrowserWindow, dialog, ipcMain, Menu, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { contentSecurityPolicy } from '../api/content-security-policy.js';
import { appMenuTemplate } from './app-menu.js';
import { APP_ENTRY_URL, ELECTRON_CSP, handleAppProtocol, registerAppScheme } from './app-protocol.js';
import { devServerOrigin, isDevServerFrame } from './dev-server.js';
import { exportSourceOf, registerExportHandler } from './export/export-handler.js';
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
import { DEFAULT_WINDOW_SIZE, MIN_WINDOW_SIZE } from './window-defaults.js';

const here = dirname(fileURLToPath(import.meta.url));
// npm run dev: the renderer from Vite's dev server, with hot reload (unpackaged only).
const devOrigin = devServerOrigin(process.env.SHAREDMEMORY_DEV_SERVER_URL, app.isPackaged);
const entryUrl = devOrigin ? `${devOrigin}/` : APP_ENTRY_URL;
const isTrustedFrame = (url: string | undefined | null): boolean =>
  isAppFrameUrl(url) || (devOrigin !== null && isDevServerFrame(url, devOrigin));
const pagePolicy = devOrigin
  ? contentSecurityPolicy({ connect: ["'self'", devOrigin.replace(/^http/, 'ws')], devServer: true })
  : ELECTRON_CSP;
const rendererDir = join(here, '..', 'renderer');
const preloadPath = join(here, '..', 'preload', 'preload.cjs');

/** A failure the user must see: on stderr and in an error box. */
function reportFailure(title: string, message: string): void {
  console.error(`SharedMemory: ${title}: ${message}`);
  dialog.showErrorBox(title, message);
}

/** Refuses to start, as browser mode does (exit code 2), after saying why. */
class StartupRefusal extends Error {
  override readonly name = 'StartupRefusal';
}

function backendChoice(): BackendChoice {
  // Electron and Chromium add their own switches: read ours, ignore the rest.
  const { values } = parseArgs({
    args: process.argv.slice(1),
    options: { backend: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const raw = typeof values.backend === 'string' ? values.backend : (process.env.SHAREDMEMORY_BACKEND ?? 'auto');
  if (isBackendChoice(raw)) return raw;
  throw new StartupRefusal(`--backend must be one of ${backendChoices.join(', ')}, not "${raw}"`);
}

/**
 * The service on the chosen backend. A kernel backend asked for by name that
 * cannot open is refused, as in browser mode: whoever named it wants that
 * driver, and a simulated one in its place would hide the problem. Only
 * `auto` falls back to the simulated driver (and the window says why).
 */
async function createService(): Promise<SharedMemoryService> {
  const choice = backendChoice();
  const driverService = await loadDriverService();
  try {
    return new SharedMemoryService({ ...(await selectBackend(choice)), driverService });
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new StartupRefusal(error.message);
    throw error;
  }
}

/** Save dialog for Export, beside the window. */
async function chooseExportFile(window: BrowserWindow, suggestedName: string): Promise<string | null> {
  const result = await dialog.showSaveDialog(window, {
    title: 'Export shared memory',
    defaultPath: join(app.getPath('documents'), suggestedName),
    filters: [{ name: 'Raw bytes', extensions: ['bin'] }],
  });
  return result.canceled || !result.filePath ? null : result.filePath;
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    ...DEFAULT_WINDOW_SIZE,
    useContentSize: true,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
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
      // Middle-click would open links outside the navigation guards (Electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  });
  window.once('ready-to-show', () => window.show());
  const { webContents } = window;
  webContents.on('preload-error', (_event, path, error) => {
    reportFailure('SharedMemory cannot connect its window', `The preload ${path} failed: ${error.message}. Reinstall SharedMemory.`);
  });
  webContents.on('did-fail-load', (_event, code, description, url, isMainFrame) => {
    // ERR_ABORTED (-3) is a navigation the guards above cancelled, not a failure to show.
    if (!isMainFrame || code === -3) return;
    window.show();
    reportFailure('SharedMemory cannot show its window', `Loading ${url} failed: ${description} (${code}). Reinstall SharedMemory.`);
  });
  window.loadURL(entryUrl).catch((error: unknown) => {
    // did-fail-load has reported it; this keeps the rejection from going unhandled.
    console.error(`SharedMemory: loadURL(${entryUrl}) failed: ${error instanceof Error ? error.message : String(error)}`);
  });
  return window;
}

registerAppScheme();
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
// Two instances would fight over the device: the second hands over to the first.
const firstInstance = app.requestSingleInstanceLock();
if (!firstInstance) app.quit();
app.on('second-instance', () => {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
});

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
    if (!firstInstance) return;
    Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate({ platform: process.platform, development: devOrigin !== null })));
    // Only the inspector's Copy (sanitized clipboard writes); nothing else, not even reading the clipboard.
    const allowed = (permission: string): boolean => permission === 'clipboard-sanitized-write';
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(allowed(permission)));
    session.defaultSession.setPermissionCheckHandler((_contents, permission) => allowed(permission));
    // Anything not served by the app protocol gets the same policy.
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [pagePolicy] } });
    });
    handleAppProtocol(rendererDir);
    service = await createService();
    registerApiHandlers(ipcMain, service, isTrustedFrame);
    // State changes and stream updates go to every window.
    broadcastEvents(service, () => BrowserWindow.getAllWindows());
    const window = createWindow();
    mainWindow = window;
    window.on('closed', () => {
      mainWindow = null;
    });
    registerExportHandler(ipcMain, {
      ...exportSourceOf(service),
      chooseFile: (name) => chooseExportFile(window, name),
      isTrustedFrame,
    });
  })
  .catch((error: unknown) => {
    if (error instanceof StartupRefusal) {
      reportFailure('SharedMemory cannot start', error.message);
      app.exit(2);
      return;
    }
    console.error(`SharedMemory: cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    app.exit(1);
  });
