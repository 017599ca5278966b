// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiNames, BRIDGE_KEY } from '../../../api/shared-memory-api.js';
import { createApi, MISSING_BRIDGE_MESSAGE } from './create-api.js';

const status = {
  backend: { kind: 'simulated', reason: 'Simulated driver — the kernel driver is not installed', simulated: true },
  device: null,
  allocation: null,
  driverService: null,
  stream: null,
};

function installBridge(overrides: Record<string, (request: unknown) => Promise<unknown>> = {}) {
  const bridge: Record<string, ReturnType<typeof vi.fn>> = {};
  for (const name of apiNames) {
    bridge[name] = vi.fn(overrides[name] ?? (() => Promise.resolve({ ok: true, value: status })));
  }
  bridge.subscribe = vi.fn(() => () => undefined);
  Reflect.set(window, BRIDGE_KEY, bridge);
  return bridge;
}

afterEach(() => {
  Reflect.deleteProperty(window, BRIDGE_KEY);
});

describe('createApi', () => {
  it('uses the Electron preload bridge when the page has one', async () => {
    const bridge = installBridge();
    const { api, transport } = createApi(window);
    expect(transport).toBe('electron');
    await expect(api.getStatus({})).resolves.toEqual({ ok: true, value: status });
    expect(bridge.getStatus).toHaveBeenCalledWith({});
  });

  it('validates requests before they reach the bridge', async () => {
    const bridge = installBridge();
    const { api } = createApi(window);
    const r = await api.readValues({ offset: 3, count: 1 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'invalid-request', operation: 'readValues' } });
    if (!r.ok) expect(r.error.message).toMatch(/offset must be even/);
    expect(bridge.readValues).not.toHaveBeenCalled();
  });

  it('turns a rejecting bridge into an error result', async () => {
    installBridge({ release: () => Promise.reject(new Error('IPC channel closed')) });
    const { api } = createApi(window);
    await expect(api.release({})).resolves.toMatchObject({
      ok: false,
      error: { kind: 'transport', message: 'release failed: IPC channel closed' },
    });
  });

  it('falls back to the WebSocket client without a complete bridge', () => {
    Reflect.set(window, BRIDGE_KEY, { getStatus: () => Promise.resolve(null) });
    expect(createApi(window).transport).toBe('web-socket');
    Reflect.deleteProperty(window, BRIDGE_KEY);
    expect(createApi(window).transport).toBe('web-socket');
  });

  it('inside the app without a bridge, says the preload is missing and opens no socket', async () => {
    const sockets: string[] = [];
    const host = {
      location: { protocol: 'app:', host: 'sharedmemory', search: '', href: 'app://sharedmemory/index.html' },
      WebSocket: function WebSocket(url: string) {
        sockets.push(url);
      },
    } as unknown as Window;
    const { api, transport } = createApi(host);
    expect(transport).toBe('electron');
    const r = await api.getStatus({});
    expect(r).toMatchObject({ ok: false, error: { kind: 'transport', hint: expect.stringContaining('start it again') as unknown } });
    if (!r.ok) {
      expect(r.error.message).toContain(MISSING_BRIDGE_MESSAGE);
      expect(r.error.message).not.toContain('start:web');
    }
    expect(sockets).toEqual([]);
  });
});
