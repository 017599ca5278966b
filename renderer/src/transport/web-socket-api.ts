// Browser mode's client: the SharedMemoryApi carried over one WebSocket to the
// server (api/web-protocol.ts). The socket opens on the first call and again
// after it closes; calls are matched to answers by id and time out rather
// than hang. Pushes ({ event, payload }) go to the subscribers of that event;
// while anyone is subscribed, a closed socket is opened again.
import { eventMessageSchema, resultMessageSchema, TOKEN_QUERY_PARAM, WEB_SOCKET_PATH } from '../../../api/web-protocol.js';
import type { ApiEventName, ApiName, RawSubscribe, SharedMemoryApi } from '../../../api/shared-memory-api.js';
import { createValidatedApi, TransportError } from './validated-api.js';

/** The part of the DOM WebSocket this client uses (the `ws` package's matches it too). */
export interface SocketLike {
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}
export type SocketFactory = (url: string) => SocketLike;

export interface WebSocketApiOptions {
  url: string;
  createSocket?: SocketFactory;
  /** How long one call may wait for its answer. */
  timeoutMs?: number;
  /** How long to wait before opening a closed socket again for the subscribers. */
  reconnectMs?: number;
}

const RECONNECT_HINT = 'Check that `npm run start:web` is still running, then open the URL it printed (with its token).';

interface Pending {
  resolve: (answer: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** ws://host/api?token=... for the page at `location`, keeping the page's token. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = new URLSearchParams(location.search).get(TOKEN_QUERY_PARAM);
  // Without a token in the address the server may still accept its cookie.
  const query = token ? `?${TOKEN_QUERY_PARAM}=${encodeURIComponent(token)}` : '';
  return `${scheme}://${location.host}${WEB_SOCKET_PATH}${query}`;
}

export function createWebSocketApi(options: WebSocketApiOptions): SharedMemoryApi {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: SocketLike | null = null;
  let opened: Promise<SocketLike> | null = null;
  const subscribers = new Map<ApiEventName, Set<(payload: unknown) => void>>();
  const reconnectMs = options.reconnectMs ?? 1000;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  const hasSubscribers = (): boolean => [...subscribers.values()].some((set) => set.size > 0);

  const failAll = (error: Error): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(error);
    }
  };

  const onMessage = (event: { data: unknown }): void => {
    let message: unknown;
    try {
      message = JSON.parse(typeof event.data === 'string' ? event.data : String(event.data));
    } catch {
      failAll(new TransportError('the server sent a message that is not JSON', RECONNECT_HINT));
      return;
    }
    const push = eventMessageSchema.safeParse(message);
    if (push.success) {
      for (const listener of [...(subscribers.get(push.data.event) ?? [])]) listener(push.data.payload);
      return;
    }
    const parsed = resultMessageSchema.safeParse(message);
    if (!parsed.success) {
      failAll(new TransportError('the server sent a message outside the protocol', RECONNECT_HINT));
      return;
    }
    const { id, result } = parsed.data;
    if (id === null) {
      // The server could not tell which call it was answering; all waiting ones
      // get its error rather than a time-out.
      for (const [pid, p] of pending) {
        clearTimeout(p.timer);
        pending.delete(pid);
        p.resolve(result);
      }
      return;
    }
    const p = pending.get(id);
    if (!p) return; // an answer after its call timed out
    clearTimeout(p.timer);
    pending.delete(id);
    p.resolve(result);
  };

  const connect = (): Promise<SocketLike> => {
    // One socket at a time; `opened` is cleared when it closes.
    if (opened) return opened;
    opened = new Promise<SocketLike>((resolve, reject) => {
      let ws: SocketLike;
      try {
        ws = createSocket(options.url);
      } catch (e) {
        opened = null;
        reject(new TransportError(`cannot open ${redact(options.url)}: ${e instanceof Error ? e.message : String(e)}`, RECONNECT_HINT));
        return;
      }
      let isOpen = false;
      socket = ws;
      ws.addEventListener('open', () => {
        isOpen = true;
        resolve(ws);
      });
      ws.addEventListener('message', onMessage);
      ws.addEventListener('error', () => {
        // 'close' always follows and does the cleaning up.
      });
      ws.addEventListener('close', () => {
        if (socket === ws) {
          socket = null;
          opened = null;
        }
        const error = isOpen
          ? new TransportError('the connection to the server closed', RECONNECT_HINT)
          : new TransportError(
              `the server at ${redact(options.url)} is not running or refused the connection (it refuses a missing or wrong token)`,
              RECONNECT_HINT,
            );
        if (!isOpen) reject(error);
        failAll(error);
        // Pushes only arrive over an open socket: keep one open while anyone listens.
        if (hasSubscribers() && reconnectTimer === null) {
          reconnectTimer = setTimeout(() => {
            reconnectTimer = null;
            if (hasSubscribers()) connect().catch(() => undefined);
          }, reconnectMs);
        }
      });
    });
    return opened;
  };

  const call = async (name: ApiName, request: unknown): Promise<unknown> => {
    const ws = await connect();
    const id = nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new TransportError(`no answer from the server within ${timeoutMs / 1000} s`, RECONNECT_HINT));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ id, name, request }));
    });
  };

  const subscribe: RawSubscribe = (name, listener) => {
    let set = subscribers.get(name);
    if (!set) subscribers.set(name, (set = new Set()));
    const own = (payload: unknown): void => listener(payload);
    set.add(own);
    connect().catch(() => undefined); // a failure shows on the next call
    return () => {
      set.delete(own);
    };
  };

  return createValidatedApi(call, subscribe);
}

/** The URL without its token, for messages shown on screen. */
function redact(url: string): string {
  return url.replace(new RegExp(`([?&]${TOKEN_QUERY_PARAM}=)[^&]*`), '$1…');
}
