import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Status } from '../../../api/shared-memory-api.js';
import { createWebSocketApi, webSocketUrl, type SocketLike } from './web-socket-api.js';

const status: Status = {
  backend: { kind: 'simulated', reason: 'Simulated driver — the kernel driver is not installed', simulated: true },
  device: null,
  allocation: null,
  driverService: null,
  stream: null,
};

type Listener = (event: { data: unknown }) => void;

/** An in-memory socket standing in for the server side of the protocol. */
class FakeSocket implements SocketLike {
  readonly sent: { id: number; name: string; request: unknown }[] = [];
  private readonly listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as { id: number; name: string; request: unknown });
  }
  close(): void {
    this.emit('close');
  }
  emit(type: string, data?: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l({ data });
  }
  reply(message: unknown): void {
    this.emit('message', typeof message === 'string' ? message : JSON.stringify(message));
  }
}

function setup(timeoutMs = 1000) {
  const sockets: FakeSocket[] = [];
  const api = createWebSocketApi({
    url: 'ws://127.0.0.1:5199/api?token=secret',
    timeoutMs,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
  });
  return { api, sockets };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => vi.useRealTimers());

describe('webSocketUrl', () => {
  it('carries the page token to the socket path', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:5199', search: '?token=a%2Bb' })).toBe('ws://127.0.0.1:5199/api?token=a%2Bb');
    expect(webSocketUrl({ protocol: 'https:', host: 'h', search: '' })).toBe('wss://h/api');
  });
});

describe('the browser-mode client', () => {
  it('sends { id, name, request } and resolves with the validated answer', async () => {
    const { api, sockets } = setup();
    const pending = api.getStatus({});
    await flush();
    const socket = sockets[0]!;
    expect(socket.url).toBe('ws://127.0.0.1:5199/api?token=secret');
    socket.emit('open');
    await flush();
    expect(socket.sent).toEqual([{ id: 1, name: 'getStatus', request: {} }]);
    socket.reply({ id: 1, result: { ok: true, value: status } });
    await expect(pending).resolves.toEqual({ ok: true, value: status });
  });

  it('matches answers to calls by id, in any order, on one socket', async () => {
    const { api, sockets } = setup();
    const a = api.readValues({ offset: 0, count: 2 });
    const b = api.readValues({ offset: 4, count: 1 });
    await flush();
    sockets[0]!.emit('open');
    await flush();
    expect(sockets).toHaveLength(1);
    sockets[0]!.reply({ id: 2, result: { ok: true, value: { offset: 4, values: [8] } } });
    sockets[0]!.reply({ id: 1, result: { ok: true, value: { offset: 0, values: [10, 9] } } });
    await expect(a).resolves.toEqual({ ok: true, value: { offset: 0, values: [10, 9] } });
    await expect(b).resolves.toEqual({ ok: true, value: { offset: 4, values: [8] } });
  });

  it('passes the server error through unchanged', async () => {
    const { api, sockets } = setup();
    const p = api.allocate({ size: 4096 });
    await flush();
    sockets[0]!.emit('open');
    await flush();
    const error = { operation: 'allocate', kind: 'busy', message: 'allocate failed: busy (EBUSY, 16)', osName: 'EBUSY', osCode: 16, hint: 'Release memory first.' };
    sockets[0]!.reply({ id: 1, result: { ok: false, error } });
    await expect(p).resolves.toEqual({ ok: false, error });
  });

  it.each([
    ['size 0', { size: 0 }],
    ['a fractional size', { size: 1.5 }],
    ['a string', { size: '4096' }],
    ['an extra key', { size: 1, extra: true }],
  ])('refuses %s before anything is sent', async (_, request) => {
    const { api, sockets } = setup();
    // Deliberately malformed: what a caller bypassing the types could send.
    const result = await api.allocate(request as unknown as { size: number });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.kind).toBe('invalid-request');
      expect(result.error.message).toMatch(/^allocate was not sent: /);
    }
    expect(sockets).toHaveLength(0);
  });

  it('turns a malformed answer into an error, not a crash', async () => {
    const { api, sockets } = setup();
    const p = api.getStatus({});
    await flush();
    sockets[0]!.emit('open');
    await flush();
    sockets[0]!.reply({ id: 1, result: { ok: true, value: { backend: 'nonsense' } } });
    const r = await p;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('invalid-response');
  });

  it('fails the waiting calls when the server sends something that is not JSON', async () => {
    const { api, sockets } = setup();
    const p = api.getStatus({});
    await flush();
    sockets[0]!.emit('open');
    await flush();
    sockets[0]!.reply('{not json');
    const r = await p;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'transport', message: 'getStatus failed: the server sent a message that is not JSON' });
  });

  it('gives an answer with id null (the server could not read a call) to the waiting calls', async () => {
    const { api, sockets } = setup();
    const p = api.getStatus({});
    await flush();
    sockets[0]!.emit('open');
    await flush();
    const error = { operation: 'call', kind: 'invalid-request', message: 'the message is not JSON' };
    sockets[0]!.reply({ id: null, result: { ok: false, error } });
    await expect(p).resolves.toEqual({ ok: false, error });
  });

  it('ignores an answer to a call it is not waiting for', async () => {
    const { api, sockets } = setup();
    const p = api.getStatus({});
    await flush();
    sockets[0]!.emit('open');
    await flush();
    sockets[0]!.reply({ id: 99, result: { ok: true, value: status } });
    sockets[0]!.reply({ id: 1, result: { ok: true, value: status } });
    await expect(p).resolves.toEqual({ ok: true, value: status });
  });

  it('fails the waiting calls on a message outside the protocol', async () => {
    const { api, sockets } = setup();
    const p = api.getStatus({});
    await flush();
    sockets[0]!.emit('open');
    await flush();
    sockets[0]!.reply({ hello: 'world' });
    await expect(p).resolves.toMatchObject({ ok: false, error: { kind: 'transport', message: 'getStatus failed: the server sent a message outside the protocol' } });
  });

  it('reports a refused connection without leaking the token, then reconnects on the next call', async () => {
    const { api, sockets } = setup();
    const p = api.getStatus({});
    await flush();
    sockets[0]!.emit('error');
    sockets[0]!.emit('close');
    const r = await p;
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('transport');
      expect(r.error.message).toMatch(/is not running or refused the connection/);
      expect(r.error.message).not.toContain('secret');
      expect(r.error.hint).toMatch(/npm run start:web/);
    }
    const again = api.getStatus({});
    await flush();
    expect(sockets).toHaveLength(2);
    sockets[1]!.emit('open');
    await flush();
    // The refused call never got an id on the wire; this is the first one sent.
    expect(sockets[1]!.sent).toEqual([{ id: 1, name: 'getStatus', request: {} }]);
    sockets[1]!.reply({ id: 1, result: { ok: true, value: status } });
    await expect(again).resolves.toMatchObject({ ok: true });
  });

  it('fails calls in flight when the connection drops', async () => {
    const { api, sockets } = setup();
    const p = api.release({});
    await flush();
    sockets[0]!.emit('open');
    await flush();
    sockets[0]!.emit('close');
    await expect(p).resolves.toMatchObject({ ok: false, error: { kind: 'transport', message: 'release failed: the connection to the server closed' } });
  });

  it('times out a call that gets no answer', async () => {
    vi.useFakeTimers();
    const { api, sockets } = setup(500);
    const p = api.getStatus({});
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]!.emit('open');
    await vi.advanceTimersByTimeAsync(501);
    await expect(p).resolves.toMatchObject({ ok: false, error: { message: 'getStatus failed: no answer from the server within 0.5 s' } });
  });

  describe('pushes', () => {
    const pushed = { change: 'allocated', status };

    it('hands a valid push to its subscribers only, validated, and stops on unsubscribe', async () => {
      const { api, sockets } = setup();
      const heard: unknown[] = [];
      const other: unknown[] = [];
      const stop = api.subscribe('stateChanged', (event) => heard.push(event));
      api.subscribe('streamUpdate', (event) => other.push(event));
      await flush();
      // Subscribing opens the socket: pushes need one.
      expect(sockets).toHaveLength(1);
      sockets[0]!.emit('open');
      sockets[0]!.reply({ event: 'stateChanged', payload: pushed });
      expect(heard).toEqual([{ ok: true, value: pushed }]);
      expect(other).toEqual([]);
      stop();
      sockets[0]!.reply({ event: 'stateChanged', payload: pushed });
      expect(heard).toHaveLength(1);
    });

    it('turns a malformed push into an error for the window, and calls keep working', async () => {
      const { api, sockets } = setup();
      const heard: { ok: boolean; error?: { kind: string; message: string } }[] = [];
      api.subscribe('streamUpdate', (event) => heard.push(event as (typeof heard)[number]));
      await flush();
      sockets[0]!.emit('open');
      sockets[0]!.reply({
        event: 'streamUpdate',
        payload: { state: 'running', statistics: { records: -1 }, points: { sequence: [1], sample: [] } },
      });
      expect(heard).toHaveLength(1);
      expect(heard[0]).toMatchObject({ ok: false, error: { kind: 'invalid-push' } });
      expect(heard[0]?.error?.message).toMatch(/malformed streamUpdate update/);
      const pending = api.getStatus({});
      await flush();
      sockets[0]!.reply({ id: 1, result: { ok: true, value: status } });
      await expect(pending).resolves.toEqual({ ok: true, value: status });
    });

    it('opens the socket again after it closed while someone listens', async () => {
      vi.useFakeTimers();
      const { api, sockets } = setup();
      api.subscribe('stateChanged', () => undefined);
      await vi.advanceTimersByTimeAsync(0);
      sockets[0]!.emit('open');
      sockets[0]!.emit('close');
      await vi.advanceTimersByTimeAsync(1001);
      expect(sockets).toHaveLength(2);
    });
  });
});
