// Browser mode's server, for real: HTTP on a free port, real WebSocket
// clients (ws), the simulated driver behind the service.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contentSecurityPolicy } from '../api/content-security-policy.js';
import { MAX_MESSAGE_BYTES, resultMessageSchema, type ResultMessage } from '../api/web-protocol.js';
import { createSimulatedBackend } from '../electron/simulated/simulated-backend.js';
import { SharedMemoryService } from '../electron/service/shared-memory-service.js';
import { startWebServer, type RunningWebServer, type WebServerOptions } from './web-server.js';

let staticDir: string;
beforeAll(() => {
  staticDir = mkdtempSync(join(tmpdir(), 'shm-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>SharedMemory</title>');
  writeFileSync(join(staticDir, 'app.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'shm-outside.txt'), 'secret');
});
afterAll(() => rmSync(staticDir, { recursive: true, force: true }));

let running: RunningWebServer | null = null;
let service: SharedMemoryService | null = null;
afterEach(async () => {
  await running?.close();
  await service?.dispose();
  running = null;
  service = null;
});

async function start(
  options: Partial<WebServerOptions> = {},
): Promise<{ server: RunningWebServer; base: string; service: SharedMemoryService }> {
  service = new SharedMemoryService({ backend: createSimulatedBackend({ flavour: 'linux' }), reason: 'test' });
  running = await startWebServer({ service, staticDir, port: 0, ...options });
  return { server: running, base: `http://127.0.0.1:${running.port}`, service };
}

/** A GET with any Host header (fetch cannot set Host): the status and body. */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** Opens a socket; resolves with it, or with the HTTP status that refused it. */
function connect(url: string, origin: string | undefined, headers: Record<string, string> = {}) {
  return new Promise<{ ws: WebSocket } | { refused: number }>((resolve, reject) => {
    const ws = new WebSocket(url, { ...(origin ? { origin } : {}), headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_request, response) => {
      resolve({ refused: response.statusCode ?? 0 });
      response.resume();
    });
    ws.once('error', reject);
  });
}

/** Sends raw frames and collects one reply per frame. */
function exchange(ws: WebSocket, frames: (string | Buffer)[]): Promise<ResultMessage[]> {
  return new Promise((resolve, reject) => {
    const replies: ResultMessage[] = [];
    ws.on('message', (data: Buffer) => {
      replies.push(resultMessageSchema.parse(JSON.parse(data.toString('utf8'))));
      if (replies.length === frames.length) resolve(replies);
    });
    ws.once('close', () => reject(new Error(`closed after ${replies.length} replies`)));
    for (const frame of frames) ws.send(frame);
  });
}

describe('browser-mode server', () => {
  it('prints a URL of the contract\'s form with a fresh random token each run', async () => {
    const { server } = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    const other = await startWebServer({ service: service!, staticDir, port: 0 });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  it('serves the page only with the token: 401 without, 403 wrong, 200 right (and sets the cookie)', async () => {
    const { server, base } = await start();
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/app.js`)).status).toBe(401);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(403);
    const cookie = `shm_token_${server.port}`;
    expect((await fetch(`${base}/`, { headers: { cookie: `${cookie}=wrong` } })).status).toBe(403);

    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>SharedMemory</title>');
    expect(page.headers.get('set-cookie')).toBe(`${cookie}=${server.token}; HttpOnly; SameSite=Strict; Path=/`);
    expect(page.headers.get('content-security-policy')).toBe(
      contentSecurityPolicy({ connect: ["'self'", `ws://127.0.0.1:${server.port}`] }),
    );
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');

    const asset = await fetch(`${base}/app.js`, { headers: { cookie: `${cookie}=${server.token}` } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('serves nothing outside the built window, and only GET/HEAD', async () => {
    const { server, base } = await start();
    const q = `token=${server.token}`;
    expect((await fetch(`${base}/../shm-outside.txt?${q}`)).status).toBe(404);
    expect((await fetch(`${base}/%2e%2e/shm-outside.txt?${q}`)).status).toBe(404);
    expect((await fetch(`${base}/%2e%2e%2fshm-outside.txt?${q}`)).status).toBe(404);
    expect((await fetch(`${base}/missing.js?${q}`)).status).toBe(404);
    expect((await fetch(`${base}/?${q}`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/api?${q}`)).status).toBe(426);
  });

  it('refuses the WebSocket without the token, with a wrong one, or from a foreign Origin', async () => {
    const { server, base } = await start();
    const origin = base;
    const ws = `ws://127.0.0.1:${server.port}/api`;
    expect(await connect(ws, origin)).toEqual({ refused: 401 });
    expect(await connect(`${ws}?token=wrong`, origin)).toEqual({ refused: 403 });
    expect(await connect(`${ws}?token=${server.token}`, 'http://evil.example')).toEqual({ refused: 403 });
    expect(await connect(`${ws}?token=${server.token}`, `http://localhost:${server.port}`)).toEqual({ refused: 403 });
    expect(await connect(`${ws}?token=${server.token}`, undefined)).toEqual({ refused: 403 });
    expect(await connect(`ws://127.0.0.1:${server.port}/other?token=${server.token}`, origin)).toEqual({ refused: 404 });
    // The cookie works as the token, as a browser would send it.
    const viaCookie = await connect(ws, origin, { cookie: `shm_token_${server.port}=${server.token}` });
    expect('ws' in viaCookie).toBe(true);
    if ('ws' in viaCookie) viaCookie.ws.close();
  });

  it('accepts the host side of a port forward named with allowHosts, Origin matching', async () => {
    const { server } = await start({ allowHosts: ['10.0.2.2:18080'] });
    const r = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, 'http://10.0.2.2:18080', {
      host: '10.0.2.2:18080',
    });
    expect('ws' in r).toBe(true);
    if ('ws' in r) r.ws.close();
  });

  it('answers 421 to a Host it does not serve (DNS rebinding), HTTP and WebSocket, before the token', async () => {
    const { server, base } = await start();
    const rebound = { host: `evil.example:${server.port}` };
    for (const path of ['/', `/?token=${server.token}`, '/?token=wrong', '/app.js']) {
      const r = await rawGet(server.port, path, rebound);
      expect(r.status, path).toBe(421);
      expect(r.body).not.toContain(server.token);
    }
    const ws = `ws://127.0.0.1:${server.port}/api`;
    const evil = `http://evil.example:${server.port}`;
    expect(await connect(`${ws}?token=${server.token}`, evil, rebound)).toEqual({ refused: 421 });
    expect(await connect(ws, evil, rebound)).toEqual({ refused: 421 });
    expect(await connect(`${ws}?token=${server.token}`, base, { host: `127.0.0.1:${server.port + 1}` })).toEqual({ refused: 421 });
    // The loopback names all work.
    for (const host of [`localhost:${server.port}`, `[::1]:${server.port}`]) {
      expect((await rawGet(server.port, `/?token=${server.token}`, { host })).status, host).toBe(200);
      const ok = await connect(`${ws}?token=${server.token}`, `http://${host}`, { host });
      expect('ws' in ok, host).toBe(true);
      if ('ws' in ok) ok.ws.close();
    }
  });

  it('names the token cookie per port: another server\'s cookie is not this one\'s', async () => {
    const { server, base } = await start();
    const other = await startWebServer({ service: service!, staticDir, port: 0 });
    try {
      const theirs = (await fetch(other.url)).headers.get('set-cookie') ?? '';
      expect(theirs).toMatch(new RegExp(`^shm_token_${other.port}=`));
      // A browser sends both cookies to both ports; each server reads its own.
      const both = `${theirs.split(';')[0]}; shm_token_${server.port}=${server.token}`;
      expect((await fetch(`${base}/`, { headers: { cookie: both } })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${other.port}/`, { headers: { cookie: both } })).status).toBe(200);
      // Only the other server's cookie: none of ours, so 401, not "wrong token".
      expect((await fetch(`${base}/`, { headers: { cookie: theirs.split(';')[0] ?? '' } })).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('bounds the open connections (503) and each one\'s waiting calls (an error reply at once)', async () => {
    const { server, base } = await start({ maxConnections: 2, maxPendingCalls: 3 });
    const url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
    const a = await connect(url, base);
    const b = await connect(url, base);
    expect(await connect(url, base)).toEqual({ refused: 503 });
    if (!('ws' in a) || !('ws' in b)) throw new Error('refused');
    const frames = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: i + 1, name: 'getStatus', request: {} }));
    const replies = await exchange(a.ws, frames);
    const refusedIds = replies.filter((r) => !r.result.ok).map((r) => r.id);
    const answeredIds = replies.filter((r) => r.result.ok).map((r) => r.id);
    expect(refusedIds.length).toBeGreaterThan(0);
    expect(answeredIds.length).toBeGreaterThanOrEqual(3);
    expect(replies.find((r) => !r.result.ok)).toMatchObject({ result: { ok: false, error: { kind: 'too-many-calls' } } });
    expect([...refusedIds, ...answeredIds].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    // A closed connection frees its place.
    const bClosed = new Promise((resolve) => b.ws.once('close', resolve));
    b.ws.close();
    await bClosed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const c = await connect(url, base);
    expect('ws' in c).toBe(true);
    if ('ws' in c) c.ws.close();
    a.ws.close();
  });

  it('answers a failure inside the server with a plain 500, no internal error text', async () => {
    const errors: unknown[] = [];
    const { server, base } = await start({
      loadFile: () => Promise.reject(new Error('EACCES: permission denied, open /srv/secret/index.html')),
    });
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const r = await fetch(`${base}/?token=${server.token}`);
      expect(r.status).toBe(500);
      const body = await r.text();
      expect(body).toBe('SharedMemory: internal error\n');
      expect(body).not.toContain('secret');
    } finally {
      console.error = original;
    }
    expect(JSON.stringify(errors)).toContain('EACCES');
  });

  it('carries every call, answers bad messages with errors and keeps serving', async () => {
    const { server, base } = await start();
    const r = await connect(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, base);
    if (!('ws' in r)) throw new Error(`refused ${r.refused}`);
    const oversized = JSON.stringify({ id: 99, name: 'getStatus', request: {}, pad: 'x'.repeat(MAX_MESSAGE_BYTES) });
    const replies = await exchange(r.ws, [
      JSON.stringify({ id: 1, name: 'allocate', request: { size: 4096 } }),
      '{"id": 2, "name": ',
      oversized,
      Buffer.from([1, 2, 3]),
      JSON.stringify({ id: 3, name: 'launchMissiles', request: {} }),
      JSON.stringify({ id: 4, name: 'readValues', request: { offset: 1, count: 1 } }),
      JSON.stringify({ id: 5, name: 'readValues', request: { offset: 0, count: 10 }, extra: 1 }),
      JSON.stringify([1, 2, 3]),
      JSON.stringify({ id: -1, name: 'getStatus', request: {} }),
      JSON.stringify({ id: 6, name: 'readValues', request: { offset: 0, count: 10 } }),
      JSON.stringify({ id: 7, name: 'allocate', request: { size: 4096 } }),
    ]);
    expect(replies[0]).toMatchObject({ id: 1, result: { ok: true, value: { allocation: { mappedSize: 4096 } } } });
    expect(replies[1]).toMatchObject({ id: null, result: { ok: false, error: { kind: 'invalid-message', message: 'Message refused: it is not valid JSON.' } } });
    expect(replies[2]).toMatchObject({ id: null, result: { ok: false, error: { kind: 'message-too-large' } } });
    expect(replies[3]).toMatchObject({ id: null, result: { ok: false, error: { kind: 'invalid-message' } } });
    expect(replies[4]).toMatchObject({ id: 3, result: { ok: false, error: { kind: 'invalid-message' } } });
    expect(replies[5]).toMatchObject({ id: 4, result: { ok: false, error: { kind: 'invalid-request', operation: 'readValues' } } });
    expect(replies[6]).toMatchObject({ id: 5, result: { ok: false, error: { kind: 'invalid-message' } } });
    expect(replies[7]).toMatchObject({ id: null, result: { ok: false } });
    expect(replies[8]).toMatchObject({ id: null, result: { ok: false } });
    expect(replies[9]).toEqual({ id: 6, result: { ok: true, value: { offset: 0, values: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1] } } });
    expect(replies[10]).toMatchObject({ id: 7, result: { ok: false, error: { kind: 'busy', osName: 'EBUSY', osCode: 16 } } });
    r.ws.close();
  });

  it('cuts off a huge frame but stays up for the next connection', async () => {
    const { server, base } = await start();
    const url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
    const first = await connect(url, base);
    if (!('ws' in first)) throw new Error('refused');
    const closed = new Promise<number>((resolve) => first.ws.once('close', (code) => resolve(code)));
    first.ws.on('error', () => undefined);
    first.ws.send('x'.repeat(8 * MAX_MESSAGE_BYTES));
    expect(await closed).toBe(1009);
    const second = await connect(url, base);
    if (!('ws' in second)) throw new Error('refused');
    const [reply] = await exchange(second.ws, [JSON.stringify({ id: 1, name: 'getStatus', request: {} })]);
    expect(reply).toMatchObject({ id: 1, result: { ok: true } });
    second.ws.close();
  });
});
