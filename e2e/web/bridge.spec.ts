// The window's other transport, the Electron preload bridge, in real Chromium:
// the page gets a `window.sharedMemory` object shaped like the preload's (one
// function per channel), forwarding to the browser-mode server from the test
// process. The page must then use the bridge and open no socket of its own.
import { once } from 'node:events';
import WebSocket from 'ws';
import { apiNames, BRIDGE_KEY } from '../../api/shared-memory-api.js';
import { runWindowFlow } from '../support/window-flow.js';
import { expect, test } from './fixtures.js';

test('the same flow through a preload-style bridge uses no socket from the page', async ({ page, server }) => {
  const upstream = new WebSocket(`ws://${new URL(server.origin).host}/api?token=${server.token}`, {
    headers: { Origin: server.origin },
  });
  await once(upstream, 'open');
  const waiting = new Map<number, (result: unknown) => void>();
  upstream.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id: number; result: unknown };
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  let nextId = 0;
  const bridgeCalls: string[] = [];
  await page.exposeFunction('sharedMemoryTestInvoke', (name: string, request: unknown) => {
    bridgeCalls.push(name);
    const id = ++nextId;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      upstream.send(JSON.stringify({ id, name, request }));
    });
  });
  await page.addInitScript(
    ({ key, names }) => {
      const invoke = Reflect.get(window, 'sharedMemoryTestInvoke') as (n: string, r: unknown) => Promise<unknown>;
      const bridge: Record<string, (request: unknown) => Promise<unknown>> = {};
      for (const name of names) bridge[name] = (request) => invoke(name, request);
      Reflect.set(window, key, Object.freeze(bridge));
    },
    { key: BRIDGE_KEY, names: apiNames },
  );
  const pageSockets: string[] = [];
  page.on('websocket', (ws) => pageSockets.push(ws.url()));

  try {
    await page.goto(server.url);
    await expect(page.locator('html')).toHaveAttribute('data-transport', 'electron');
    await runWindowFlow(page);
  } finally {
    upstream.close();
  }
  expect(pageSockets).toEqual([]);
  expect(bridgeCalls).toEqual(expect.arrayContaining(['getStatus', 'allocate', 'readValues', 'writeValues', 'verify', 'release']));
});
