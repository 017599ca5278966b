// The window's other transport, the Electron preload bridge, in real Chromium:
// the page gets a `window.sharedMemory` object shaped like the preload's (one
// function per channel, and `subscribe` for the pushes), forwarding to the
// browser-mode server from the test process. The page must then use the
// bridge, open no socket of its own, and hear the pushes through it.
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
  const pushed: string[] = [];
  upstream.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id: number; result: unknown } | { event: string; payload: unknown };
    if ('event' in message) {
      // As webContents.send to the window: the bridge hands the payload to its subscribers.
      pushed.push(message.event);
      void page.evaluate(([event, payload]) => {
        (Reflect.get(window, 'sharedMemoryTestPush') as (e: unknown, p: unknown) => void)(event, payload);
      }, [message.event, message.payload] as const);
      return;
    }
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
      const bridge: Record<string, unknown> = {};
      for (const name of names) bridge[name] = (request: unknown) => invoke(name, request);
      const listeners = new Map<unknown, Set<(payload: unknown) => void>>();
      bridge.subscribe = (event: unknown, listener: (payload: unknown) => void) => {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)?.add(listener);
        return () => listeners.get(event)?.delete(listener);
      };
      let heard = 0;
      Reflect.set(window, 'sharedMemoryTestPush', (event: unknown, payload: unknown) => {
        heard += 1;
        document.documentElement.dataset.pushesHeard = String(heard);
        for (const listener of listeners.get(event) ?? []) listener(payload);
      });
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
    // allocated and released reached the page through the bridge's subscribe.
    await expect(page.locator('html')).toHaveAttribute('data-pushes-heard', String(pushed.length));
    expect(pushed).toEqual(['stateChanged', 'stateChanged']);
  } finally {
    upstream.close();
  }
  expect(pageSockets).toEqual([]);
  expect(bridgeCalls).toEqual(expect.arrayContaining(['getStatus', 'allocate', 'readValues', 'writeValues', 'verify', 'release']));
});
