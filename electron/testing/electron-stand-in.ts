// A recording stand-in for the `electron` module, for testing the main
// process where the Electron runtime cannot run: it records what main.ts
// registers (listeners, handlers, windows, menus, dialogs) so tests can call
// them as Electron would. Use it with
//   vi.mock('electron', async () => (await import('./testing/electron-stand-in.js')).electronStandIn);

type Listener = (...args: unknown[]) => unknown;

export interface RecordedWindow {
  options: Record<string, unknown>;
  loadedUrl: string | null;
  listeners: Map<string, Listener>;
  contentsListeners: Map<string, Listener>;
  shown: number;
  focused: number;
}

export const recorded = {
  appListeners: new Map<string, Listener[]>(),
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  ipcHandlers: new Map<string, (...args: unknown[]) => Promise<unknown>>(),
  windows: [] as RecordedWindow[],
  permissionRequest: null as null | ((...args: unknown[]) => void),
  permissionCheck: null as null | ((...args: unknown[]) => boolean),
  headersReceived: null as null | ((details: unknown, callback: (r: unknown) => void) => void),
  menuTemplate: null as unknown,
  errorBoxes: [] as { title: string; content: string }[],
  sandboxEnabled: false,
  singleInstanceLockAsked: 0,
  /** What requestSingleInstanceLock answers (false: another instance runs). */
  gotLock: true,
  quitCalls: 0,
  exitCodes: [] as number[],
  /** Whether app.whenReady() has run its callbacks. */
  ready: Promise.resolve(),
};

/** Forgets everything recorded, for a test that starts main.ts again. */
export function resetRecorded(): void {
  recorded.appListeners.clear();
  recorded.schemes.length = 0;
  recorded.protocolHandlers.clear();
  recorded.ipcHandlers.clear();
  recorded.windows.length = 0;
  recorded.errorBoxes.length = 0;
  recorded.exitCodes.length = 0;
  recorded.menuTemplate = null;
  recorded.singleInstanceLockAsked = 0;
  recorded.gotLock = true;
  recorded.quitCalls = 0;
}

const on = (event: string, listener: Listener) => {
  const list = recorded.appListeners.get(event) ?? [];
  list.push(listener);
  recorded.appListeners.set(event, list);
};

class BrowserWindow {
  private readonly record: RecordedWindow;
  readonly webContents: { on: (event: string, listener: Listener) => void };
  constructor(options: Record<string, unknown>) {
    this.record = { options, loadedUrl: null, listeners: new Map(), contentsListeners: new Map(), shown: 0, focused: 0 };
    recorded.windows.push(this.record);
    this.webContents = { on: (event, listener) => this.record.contentsListeners.set(event, listener) };
  }
  on(event: string, listener: Listener): void {
    this.record.listeners.set(event, listener);
  }
  once(event: string, listener: Listener): void {
    this.record.listeners.set(event, listener);
  }
  show(): void {
    this.record.shown += 1;
  }
  focus(): void {
    this.record.focused += 1;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  loadURL(url: string): Promise<void> {
    this.record.loadedUrl = url;
    return Promise.resolve();
  }
}

export const electronStandIn = {
  /** Not Electron's: how a test that re-imports main.ts (vi.resetModules) reaches this module's records. */
  recorded,
  resetRecorded,
  app: {
    on,
    isPackaged: false,
    enableSandbox: () => {
      recorded.sandboxEnabled = true;
    },
    requestSingleInstanceLock: () => {
      recorded.singleInstanceLockAsked += 1;
      return recorded.gotLock;
    },
    whenReady: () => recorded.ready,
    getPath: () => '/home/user/Documents',
    quit: () => {
      recorded.quitCalls += 1;
    },
    exit: (code: number) => {
      recorded.exitCodes.push(code);
    },
  },
  BrowserWindow,
  Menu: {
    buildFromTemplate: (template: unknown) => template,
    setApplicationMenu: (menu: unknown) => {
      recorded.menuTemplate = menu;
    },
  },
  dialog: {
    showErrorBox: (title: string, content: string) => recorded.errorBoxes.push({ title, content }),
    showSaveDialog: () => Promise.resolve({ canceled: true, filePath: '' }),
  },
  ipcMain: {
    handle: (channel: string, listener: (...args: unknown[]) => Promise<unknown>) => recorded.ipcHandlers.set(channel, listener),
    removeHandler: (channel: string) => recorded.ipcHandlers.delete(channel),
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => recorded.schemes.push(...schemes),
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) => recorded.protocolHandlers.set(scheme, handler),
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (handler: (...args: unknown[]) => void) => {
        recorded.permissionRequest = handler;
      },
      setPermissionCheckHandler: (handler: (...args: unknown[]) => boolean) => {
        recorded.permissionCheck = handler;
      },
      webRequest: {
        onHeadersReceived: (handler: (details: unknown, callback: (r: unknown) => void) => void) => {
          recorded.headersReceived = handler;
        },
      },
    },
  },
};
