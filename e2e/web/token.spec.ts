// Browser mode refuses every request and connection without the per-run
// token, and socket connections from another origin.
import WebSocket from 'ws';
import { expect, test } from './fixtures.js';

/** The HTTP status a WebSocket handshake got, or 101 when it opened. */
function handshake(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Origin: origin } });
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
