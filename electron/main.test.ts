// The Electron main process against a recording stand-in for the `electron`
// module (the Electron runtime cannot run here): the window's security
// settings, the app protocol and its CSP, navigation/new-window/permission
// refusals, the IPC handlers, the menu, one instance, load failures shown,
// and release-and-close on quit.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiNames, EXPORT_CHANNEL, ipcChannel } from '../api/api-names.js';
import { menuRoles } from './app-menu.js';
import { recorded } from './testing/electron-stand-in.js';
import { DEFAULT_WINDOW_SIZE } from './window-defaults.js';

type Listener = (...args: unknown[]) => unknown;

vi.mock('electron', async () => (await import('./testing/electron-stand-in.js')).electronStandIn);

// main.ts serves ../renderer relative to itself; from the sources that is
// renderer/, whose index.html is the page's source: enough to serve.
beforeAll(async () => {
  process.env.SHAREDMEMORY_BACKEND = 'simulated';
  await import('./main.js');
  // Let whenReady's continuation (service creation, handlers, window) finish.
  await vi.waitFor(() => expect(recorded.windows).toHaveLength(1));
});

afterAll(() => {
  delete process.env.SHAREDMEMORY_BACKEND;
});

const webContentsGuards = () => {
  const listeners = new Map<string, Listener>();
  let windowOpen: (() => unknown) | null = null;
  const contents = {
    on: (event: string, listener: Listener) => listeners.set(event, listener),
    setWindowOpenHandler: (handler: () => unknown) => {
      windowOpen = handler;
    },
  };
  for (const listener of recorded.appListeners.get('web-contents-created') ?? []) listener({}, contents);
  return { listeners, windowOpen: () => windowOpen?.() };
};

describe('Electron main process', () => {
  it('opens one window with the security checklist\'s settings, on the app protocol', () => {
    const [window] = recorded.windows;
    const prefs = window?.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(window?.options).toMatchObject({ ...DEFAULT_WINDOW_SIZE, useContentSize: true });
    expect(String(prefs.preload)).toMatch(/preload[\\/]preload\.cjs$/);
    expect(window?.loadedUrl).toBe('app://sharedmemory/index.html');
    expect(recorded.sandboxEnabled).toBe(true);
    expect(recorded.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true } }]);
  });

  it('registers one IPC handler per API channel and the export, each checking the sender', async () => {
    expect([...recorded.ipcHandlers.keys()].sort()).toEqual([...apiNames.map(ipcChannel), EXPORT_CHANNEL].sort());
    const exported = await recorded.ipcHandlers.get(EXPORT_CHANNEL)?.({ senderFrame: { url: 'https://example.com/' } }, {});
    expect(exported).toMatchObject({ ok: false, error: { kind: 'forbidden-sender' } });
    const allocate = recorded.ipcHandlers.get(ipcChannel('allocate'));
    const foreign = await allocate?.({ senderFrame: { url: 'https://example.com/' } }, { size: 4096 });
    expect(foreign).toMatchObject({ ok: false, error: { kind: 'forbidden-sender' } });
    const status = await recorded.ipcHandlers.get(ipcChannel('getStatus'))?.(
      { senderFrame: { url: 'app://sharedmemory/index.html' } },
      {},
    );
    expect(status).toMatchObject({ ok: true, value: { backend: { kind: 'simulated', simulated: true } } });
  });

  it('serves the built window with a strict CSP and nothing else', async () => {
    const handler = recorded.protocolHandlers.get('app');
    if (!handler) throw new Error('no app protocol handler');
    const page = await handler(new Request('app://sharedmemory/index.html'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>SharedMemory</title>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).not.toContain('unsafe');
    expect((await handler(new Request('app://sharedmemory/missing.js'))).status).toBe(404);
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404);
    expect((await handler(new Request('app://sharedmemory/%2e%2e%2fpackage.json'))).status).toBe(404);
  });

  it('forces the CSP header on every other response too', () => {
    let result: unknown = null;
    recorded.headersReceived?.({ responseHeaders: { 'content-type': ['text/html'] } }, (r) => {
      result = r;
    });
    expect(result).toMatchObject({
      responseHeaders: { 'content-type': ['text/html'], 'Content-Security-Policy': [expect.stringContaining("default-src 'none'")] },
    });
  });

  it('refuses navigation, redirects, webviews, new windows and every permission', () => {
    const { listeners, windowOpen } = webContentsGuards();
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const preventDefault = vi.fn();
      listeners.get(event)?.({ preventDefault });
      expect(preventDefault, event).toHaveBeenCalledOnce();
    }
    expect(windowOpen()).toEqual({ action: 'deny' });
    const callback = vi.fn();
    recorded.permissionRequest?.({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(recorded.permissionCheck?.({}, 'clipboard-read')).toBe(false);
    // The one exception: the inspector's Copy writes sanitized text.
    expect(recorded.permissionCheck?.({}, 'clipboard-sanitized-write')).toBe(true);
  });

  it('sets a menu without Reload or DevTools', () => {
    const roles = menuRoles(recorded.menuTemplate as Parameters<typeof menuRoles>[0]);
    expect(roles).toContain('copy');
    for (const role of ['reload', 'forceReload', 'toggleDevTools']) expect(roles).not.toContain(role);
  });

  it('holds the single-instance lock, and a second launch focuses the window', () => {
    expect(recorded.singleInstanceLockAsked).toBe(1);
    const [window] = recorded.windows;
    const before = window?.focused ?? 0;
    for (const listener of recorded.appListeners.get('second-instance') ?? []) listener();
    expect(window?.focused).toBe(before + 1);
  });

  it('logs and shows a window that fails to load or loses its preload, instead of a blank window', () => {
    const [window] = recorded.windows;
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      // A navigation the guards cancelled is not a failure.
      window?.contentsListeners.get('did-fail-load')?.({}, -3, 'ERR_ABORTED', 'https://example.com/', true);
      window?.contentsListeners.get('did-fail-load')?.({}, -6, 'ERR_FILE_NOT_FOUND', 'app://sharedmemory/index.html', true);
      window?.contentsListeners.get('preload-error')?.({}, '/app/preload.cjs', new Error('Unexpected token'));
    } finally {
      console.error = original;
    }
    expect(recorded.errorBoxes).toEqual([
      { title: 'SharedMemory cannot show its window', content: expect.stringContaining('ERR_FILE_NOT_FOUND (-6)') as unknown },
      { title: 'SharedMemory cannot connect its window', content: expect.stringContaining('/app/preload.cjs failed: Unexpected token') as unknown },
    ]);
    expect(errors).toHaveLength(2);
    expect(window?.shown).toBeGreaterThan(0);
  });

  it('on quit, releases the allocation and closes the device before quitting', async () => {
    const call = (name: (typeof apiNames)[number], request: unknown) =>
      recorded.ipcHandlers.get(ipcChannel(name))?.({ senderFrame: { url: 'app://sharedmemory/index.html' } }, request);
    expect(await call('allocate', { size: 4096 })).toMatchObject({ ok: true });
    const preventDefault = vi.fn();
    for (const listener of recorded.appListeners.get('before-quit') ?? []) listener({ preventDefault });
    expect(preventDefault).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(recorded.quitCalls).toBe(1));
    // The service is disposed: calls now fail cleanly instead of touching the device.
    expect(await call('getStatus', {})).toMatchObject({ ok: false, error: { kind: 'handle-closed' } });
    // The second before-quit (from app.quit) goes through.
    const second = vi.fn();
    for (const listener of recorded.appListeners.get('before-quit') ?? []) listener({ preventDefault: second });
    expect(second).not.toHaveBeenCalled();
  });
});
