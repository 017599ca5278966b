// The IPC handlers: one per channel, the sender checked on every call, every
// request validated (malformed input never reaches the driver).
import { describe, expect, it } from 'vitest';
import { apiNames, ipcChannel, type ApiResult } from '../../api/shared-memory-api.js';
import { createSimulatedBackend } from '../simulated/simulated-backend.js';
import { SharedMemoryService } from '../service/shared-memory-service.js';
import { isAppFrameUrl, registerApiHandlers, type InvokeEventLike, type IpcMainLike } from './api-handlers.js';

type Listener = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipc: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  return { ipc, handlers };
}

const APP_FRAME: InvokeEventLike = { senderFrame: { url: 'app://sharedmemory/index.html' } };

function setup() {
  const backend = createSimulatedBackend({ flavour: 'linux' });
  const service = new SharedMemoryService({ backend, reason: 'test' });
  const { ipc, handlers } = fakeIpcMain();
  const unregister = registerApiHandlers(ipc, service);
  const call = async (name: string, event: InvokeEventLike, ...args: unknown[]) => {
    const handler = handlers.get(ipcChannel(name as (typeof apiNames)[number]));
    if (!handler) throw new Error(`no handler for ${name}`);
    return (await handler(event, ...args)) as ApiResult<unknown>;
  };
  return { backend, handlers, unregister, call };
}

describe('registerApiHandlers', () => {
  it('registers exactly one handler per API channel and removes them again', () => {
    const { handlers, unregister } = setup();
    expect([...handlers.keys()].sort()).toEqual(apiNames.map(ipcChannel).sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('serves the app\'s own page', async () => {
    const { call } = setup();
    const r = await call('allocate', APP_FRAME, { size: 4096 });
    expect(r).toMatchObject({ ok: true, value: { allocation: { mappedSize: 4096 } } });
  });

  it.each([
    ['no frame (destroyed)', null],
    ['a web page', 'https://example.com/'],
    ['a local file', 'file:///tmp/index.html'],
    ['a look-alike host', 'app://sharedmemory.evil/index.html'],
    ['another app host', 'app://other/index.html'],
    ['credentials in the URL', 'app://user:pw@sharedmemory/index.html'],
    ['devtools', 'devtools://devtools/bundled/inspector.html'],
    ['not a URL', 'not a url'],
  ])('refuses a foreign sender: %s', async (_label, url) => {
    const { call, backend } = setup();
    const event: InvokeEventLike = { senderFrame: url === null ? null : { url } };
    const r = await call('allocate', event, { size: 4096 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'forbidden-sender', operation: 'allocate' } });
    expect(backend.driver.totals.allocations).toBe(0);
  });

  it.each([
    ['allocate', { size: 'big' }],
    ['allocate', { size: Number.NaN }],
    ['allocate', { size: Number.POSITIVE_INFINITY }],
    ['allocate', { size: Number.NEGATIVE_INFINITY }],
    ['allocate', { size: -4096 }],
    ['allocate', { size: 0 }],
    ['allocate', { size: 2 ** 60 }],
    ['allocate', { size: 4096, __proto__: { x: 1 }, extra: 1 }],
    ['allocate', '4096'],
    ['allocate', null],
    ['readValues', { offset: 3, count: 10 }],
    ['readValues', { offset: -2, count: 10 }],
    ['readValues', { offset: 0, count: 4097 }],
    ['readValues', { offset: 0, count: 2 ** 31 }],
    ['readValues', { offset: 0.5, count: 1 }],
    ['readValues', { offset: 0 }],
    ['verify', { offset: 0, count: Number.NaN }],
    ['writeValues', { offset: 0, values: [1.5] }],
    ['writeValues', { offset: 0, values: [70000] }],
    ['writeValues', { offset: 0, values: new Array(4097).fill(0) }],
    ['writeValues', { offset: 0, values: { length: 1, 0: 1 } }],
    ['release', { everything: true }],
    ['getStatus', 'status'],
  ])('refuses malformed %s request %j', async (name, request) => {
    const { call, backend } = setup();
    const r = await call(name, APP_FRAME, request);
    expect(r).toMatchObject({ ok: false, error: { kind: 'invalid-request', operation: name } });
    expect(backend.driver.totals.allocations).toBe(0);
  });

  it('refuses a call with the wrong number of arguments', async () => {
    const { call } = setup();
    expect(await call('getStatus', APP_FRAME)).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(await call('allocate', APP_FRAME, { size: 1 }, { size: 2 })).toMatchObject({
      ok: false,
      error: { kind: 'invalid-request', message: 'allocate refused an invalid request: expected one request object, got 2 arguments.' },
    });
  });
});

describe('isAppFrameUrl', () => {
  it('accepts only app://sharedmemory/', () => {
    expect(isAppFrameUrl('app://sharedmemory/index.html')).toBe(true);
    expect(isAppFrameUrl('app://sharedmemory/assets/x.js')).toBe(true);
    expect(isAppFrameUrl(undefined)).toBe(false);
    expect(isAppFrameUrl('')).toBe(false);
    expect(isAppFrameUrl('http://sharedmemory/index.html')).toBe(false);
  });
});
