// The preload as Electron's sandbox runs it: the CommonJS bundle from
// scripts/build-node.mjs, evaluated with no Node modules, only a `require`
// that knows 'electron'. It must expose exactly the API, one function per
// channel, each invoking only its own channel, and the export on its own.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiEventNames, apiNames, BRIDGE_KEY, EXPORT_BRIDGE_KEY, EXPORT_CHANNEL, ipcChannel, ipcEventChannel } from '../api/api-names.js';

let dir: string;
beforeAll(() => {
  const root = join(import.meta.dirname, '..');
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules', '.cache', 'shm-preload-'));
  const r = spawnSync(process.execPath, ['scripts/build-node.mjs', '--quiet', '--out', dir], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('is the bridge alone: no schema library inside, a few kilobytes', () => {
  const code = readFileSync(join(dir, 'preload', 'preload.cjs'), 'utf8');
  // The main process validates every request; zod here would only add weight.
  expect(code).not.toMatch(/\bzod\b|ZodError|safeParse/);
  expect(Buffer.byteLength(code)).toBeLessThan(8 * 1024);
});

it('needs nothing but electron, and exposes one function per channel', async () => {
  const code = readFileSync(join(dir, 'preload', 'preload.cjs'), 'utf8');
  const exposed = new Map<string, unknown>();
  const invoked: [string, unknown][] = [];
  const required: string[] = [];
  const listeners = new Map<string, (event: unknown, payload: unknown) => void>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: (channel: string, request: unknown) => {
        invoked.push([channel, request]);
        return Promise.resolve({ ok: true, value: null });
      },
      on: (channel: string, listener: (event: unknown, payload: unknown) => void) => listeners.set(channel, listener),
      removeListener: (channel: string) => listeners.delete(channel),
    },
  };
  const require = (name: string): unknown => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  };
  const module = { exports: {} };
  runInNewContext(code, { require, module, exports: module.exports, console });

  expect(required).toEqual(['electron']);
  expect([...exposed.keys()]).toEqual([BRIDGE_KEY, EXPORT_BRIDGE_KEY]);
  const api = exposed.get(BRIDGE_KEY) as Record<string, (request: unknown) => Promise<unknown>>;
  expect(Object.keys(api).sort()).toEqual([...apiNames, 'subscribe'].sort());
  expect(Object.values(api).every((f) => typeof f === 'function')).toBe(true);
  expect('invoke' in api || 'send' in api || 'on' in api).toBe(false);
  const calls = apiNames.map((name) => api[name]);
  for (const call of calls) await call?.({});
  expect(invoked.map(([channel]) => channel)).toEqual(apiNames.map(ipcChannel));
  const files = exposed.get(EXPORT_BRIDGE_KEY) as Record<string, (request: unknown) => Promise<unknown>>;
  expect(Object.keys(files)).toEqual(['exportRange']);
  await files.exportRange?.({ offset: 0, length: 2, suggestedName: 'a.bin' });
  expect(invoked.at(-1)).toEqual([EXPORT_CHANNEL, { offset: 0, length: 2, suggestedName: 'a.bin' }]);

  // subscribe listens on the definition's push channels only, hands over the payload alone, and stops.
  const subscribe = api.subscribe as unknown as (name: string, listener: (payload: unknown) => void) => () => void;
  const heard: unknown[] = [];
  const stops = apiEventNames.map((name) => subscribe(name, (payload) => heard.push(payload)));
  subscribe('sharedmemory:allocate', () => heard.push('wrong'));
  expect([...listeners.keys()]).toEqual(apiEventNames.map(ipcEventChannel));
  listeners.get(ipcEventChannel('stateChanged'))?.({ sender: 'event object' }, { change: 'allocated' });
  expect(heard).toEqual([{ change: 'allocated' }]);
  stops.forEach((stop) => stop());
  expect(listeners.size).toBe(0);
});
