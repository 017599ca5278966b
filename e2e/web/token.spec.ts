// Browser mode refuses every request and connection without the per-run
// token, socket connections from another origin, and any Host it does not
// serve (DNS rebinding); its token cookie is named per port.
import { get as httpGet } from 'node:http';
import WebSocket from 'ws';
import { startWebServer } from '../support/web-server.js';
import { expectState, windowParts } from '../support/window-flow.js';
import { expect, test } from './fixtures.js';

/** The HTTP status a WebSocket handshake got, or 101 when it opened. */
function handshake(url: string, origin: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Origin: origin, ...headers } });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e) => reject(e));
  });
}

test('the page needs the token', async ({ request, server }) => {
  expect((await request.get(`${server.origin}/`)).status()).toBe(401);
  expect((await request.get(`${server.origin}/?token=wrong`)).status()).toBe(403);
  expect((await request.get(`${server.origin}/assets/missing.js?token=wrong`)).status()).toBe(403);
  const ok = await request.get(server.url);
  expect(ok.status()).toBe(200);
  expect(await ok.text()).toContain('<div id="root">');
});

test('the socket needs the token and the page origin', async ({ server }) => {
  const api = `ws://${new URL(server.origin).host}/api`;
  expect(await handshake(`${api}?token=${server.token}`, server.origin)).toBe(101);
  expect(await handshake(api, server.origin)).toBe(401);
  expect(await handshake(`${api}?token=wrong`, server.origin)).toBe(403);
  expect(await handshake(`${api}?token=${server.token}`, 'http://evil.example')).toBe(403);
});

test('a page opened with a wrong token gets no window, and its socket is refused', async ({ page, server }) => {
  const response = await page.goto(`${server.origin}/?token=wrong`);
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('button', { name: 'Allocate memory' })).toHaveCount(0);
  const opened = await page.evaluate(
    (host) =>
      new Promise<boolean>((resolve) => {
        const ws = new WebSocket(`ws://${host}/api?token=wrong`);
        ws.onopen = () => resolve(true);
        ws.onerror = () => resolve(false);
      }),
    new URL(server.origin).host,
  );
  expect(opened).toBe(false);
});

test('the token leaves the address bar, and a reload still works through the cookie', async ({ page, server }) => {
  await page.goto(server.url);
  const w = windowParts(page);
  await expectState(w.status, 'Not allocated');
  expect(page.url()).toBe(`${server.origin}/`);
  await page.reload();
  await expectState(w.status, 'Not allocated');
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
});

test('two servers on two ports in one browser: each keeps its own cookie', async ({ page, context, server }) => {
  const second = await startWebServer('simulated');
  try {
    await page.goto(server.url);
    await expectState(windowParts(page).status, 'Not allocated');
    const other = await context.newPage();
    await other.goto(second.url);
    await expectState(windowParts(other).status, 'Not allocated');
    // Both addresses are token-free now; reloading the first must not get "wrong token".
    const reloaded = await page.reload();
    expect(reloaded?.status()).toBe(200);
    await expectState(windowParts(page).status, 'Not allocated');
    const names = (await context.cookies()).map((c) => c.name).sort();
    expect(names).toEqual([`shm_token_${new URL(server.origin).port}`, `shm_token_${new URL(second.origin).port}`].sort());
  } finally {
    await second.stop();
  }
});

/** A GET naming any Host (as a DNS-rebinding page would): the status. */
function getWithHost(origin: string, path: string, host: string): Promise<number> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    httpGet({ host: hostname, port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

test('a rebinding host name gets 421 for the page and the socket, token or not', async ({ server }) => {
  const port = new URL(server.origin).port;
  const evil = `evil.example:${port}`;
  expect(await getWithHost(server.origin, `/?token=${server.token}`, evil)).toBe(421);
  expect(await getWithHost(server.origin, '/', evil)).toBe(421);
  expect(await getWithHost(server.origin, `/?token=${server.token}`, `localhost:${port}`)).toBe(200);
  const api = `ws://${new URL(server.origin).host}/api?token=${server.token}`;
  expect(await handshake(api, `http://${evil}`, { host: evil })).toBe(421);
  expect(await handshake(api, server.origin)).toBe(101);
});
