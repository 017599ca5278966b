// Browser mode: an HTTP server for the built window and a WebSocket that
// carries the app's API (api/web-protocol.ts) to the same SharedMemoryService
// the Electron app uses. Every request must name this server in its Host
// header (against DNS rebinding) before its token is even looked at; the
// socket also needs the page's own Origin. Bad messages get an error reply;
// the server and the connection live on. Connections and each connection's
// waiting calls are bounded, so one page cannot queue unbounded work.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { contentSecurityPolicy } from '../api/content-security-policy.js';
import { apiEventNames, type ApiError, type ApiName, type ApiResult, type SharedMemoryEvents } from '../api/shared-memory-api.js';
import {
  callMessageSchema,
  MAX_MESSAGE_BYTES,
  tokenCookieName,
  WEB_SOCKET_PATH,
  type EventMessage,
  type ResultMessage,
} from '../api/web-protocol.js';
import { allowedHosts, hostAllowed } from './host-allowlist.js';
import { checkToken, expectedOrigin, newToken, originAllowed, tokenCookie } from './web-auth.js';
import { loadStaticFile, type StaticFile } from './static-files.js';

/** What the server needs from the service: one validated call. */
export interface ApiInvoker {
  invoke(name: ApiName, request: unknown): Promise<ApiResult<unknown>>;
}

export interface WebServerOptions {
  service: ApiInvoker;
  /** The service's pushes, sent to every connection (state changes, stream updates). */
  events?: SharedMemoryEvents;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** Reads one file of it (default: loadStaticFile); a test can make it fail. */
  loadFile?: (root: string, urlPath: string) => Promise<StaticFile | null>;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); default: a random one per run. */
  token?: string;
  /** Further host:port names the server is reached under (a port forward in front of it). */
  allowHosts?: readonly string[];
  /** Open WebSockets at most; more are refused with 503. */
  maxConnections?: number;
  /** Calls one connection may have waiting; more are answered with an error at once. */
  maxPendingCalls?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 16;
export const DEFAULT_MAX_PENDING_CALLS = 32;

export interface RunningWebServer {
  /** http://HOST:PORT/?token=TOKEN */
  url: string;
  host: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Frames larger than MAX_MESSAGE_BYTES get an error reply; far larger ones
 * are cut off by ws itself (close code 1009) before they are buffered.
 */
const HARD_FRAME_LIMIT = 4 * MAX_MESSAGE_BYTES;

/**
 * A connection this far behind (a hidden or stalled tab) gets no stream
 * updates until it catches up; state changes it always gets.
 */
const STREAM_BACKLOG_LIMIT = 1024 * 1024;

function pagePolicy(request: IncomingMessage): string {
  const origin = expectedOrigin(request);
  // 'self' does not cover ws: in every browser; name the socket's origin.
  return contentSecurityPolicy({ connect: ["'self'", ...(origin ? [origin.replace(/^http/, 'ws')] : [])] });
}

function securityHeaders(request: IncomingMessage): Record<string, string> {
  return {
    'Content-Security-Policy': pagePolicy(request),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

function sendText(request: IncomingMessage, response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...securityHeaders(request), 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`SharedMemory: ${text}\n`);
}

/** Refuses an upgrade with a plain HTTP answer on the raw socket. */
type RefusalStatus = 400 | 401 | 403 | 404 | 421 | 503;
function refuseUpgrade(socket: Duplex, status: RefusalStatus, text: string): void {
  const reason = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    421: 'Misdirected Request',
    503: 'Service Unavailable',
  }[status];
  const body = `SharedMemory: ${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function requestUrl(request: IncomingMessage): URL | null {
  try {
    return new URL(request.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

const protocolError = (kind: string, message: string): ApiError => ({
  operation: 'message',
  kind,
  message,
  hint: 'The message was ignored; nothing was changed',
});

const messageBytes = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));

/** The caller's id in a parsed message, when it sent a usable one, so it can match the reply. */
function callerId(json: unknown): number | null {
  const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

/** The answer to a call over the connection's limit, with its id when it has one. */
function tooManyCalls(data: RawData, limit: number): ResultMessage {
  let id: number | null = null;
  const bytes = messageBytes(data);
  try {
    if (bytes.byteLength <= MAX_MESSAGE_BYTES) id = callerId(JSON.parse(bytes.toString('utf8')));
  } catch {
    // No usable id: the reply goes out with id null.
  }
  return {
    id,
    result: {
      ok: false,
      error: {
        operation: 'message',
        kind: 'too-many-calls',
        message: `Call refused: ${limit} calls from this window are already waiting.`,
        hint: 'Wait for the answers, then try again; nothing was changed',
      },
    },
  };
}

/** Handles one WebSocket message; always answers exactly once. */
async function answer(service: ApiInvoker, data: RawData, isBinary: boolean): Promise<ResultMessage> {
  const bytes = messageBytes(data);
  if (bytes.byteLength > MAX_MESSAGE_BYTES) {
    return {
      id: null,
      result: {
        ok: false,
        error: protocolError('message-too-large', `Message of ${bytes.byteLength} bytes refused: the limit is ${MAX_MESSAGE_BYTES} bytes.`),
      },
    };
  }
  if (isBinary) {
    return { id: null, result: { ok: false, error: protocolError('invalid-message', 'Binary message refused: send JSON text.') } };
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { id: null, result: { ok: false, error: protocolError('invalid-message', 'Message refused: it is not valid JSON.') } };
  }
  const parsed = callMessageSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    return {
      id: callerId(json),
      result: { ok: false, error: protocolError('invalid-message', `Message refused: ${problems}.`) },
    };
  }
  const { id, name, request } = parsed.data;
  return { id, result: await service.invoke(name, request) };
}

const MISDIRECTED = 'this server does not answer to that host name (see --allow-host)';

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const token = options.token ?? newToken();
  const host = options.host ?? '127.0.0.1';
  const { service, staticDir, loadFile = loadStaticFile } = options;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxPendingCalls = options.maxPendingCalls ?? DEFAULT_MAX_PENDING_CALLS;
  // Both need the port, known once listening (port 0 picks one).
  let hosts: ReadonlySet<string> = new Set();
  let cookieName = '';

  const server = createServer((request, response) => {
    void (async () => {
      if (!hostAllowed(request.headers.host, hosts)) return sendText(request, response, 421, MISDIRECTED);
      const url = requestUrl(request);
      if (!url) return sendText(request, response, 400, 'bad request');
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('Allow', 'GET, HEAD');
        return sendText(request, response, 405, 'only GET and HEAD');
      }
      const auth = checkToken(request, url, token, cookieName);
      if (!auth.ok) return sendText(request, response, auth.status, auth.reason);
      if (url.pathname === WEB_SOCKET_PATH) return sendText(request, response, 426, 'this path is a WebSocket');
      const file = await loadFile(staticDir, url.pathname);
      if (!file) return sendText(request, response, 404, 'not found');
      const headers: Record<string, string | number> = {
        ...securityHeaders(request),
        'Content-Type': file.contentType,
        'Content-Length': file.body.byteLength,
      };
      if (auth.source === 'query') headers['Set-Cookie'] = tokenCookie(cookieName, token);
      response.writeHead(200, headers);
      response.end(request.method === 'HEAD' ? undefined : file.body);
    })().catch((error: unknown) => {
      // The details go to the server's log, never to the page.
      console.error(`SharedMemory web: ${request.method ?? '?'} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent) sendText(request, response, 500, 'internal error');
      else response.destroy();
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_LIMIT });
  sockets.on('connection', (ws: WebSocket) => {
    // One call at a time per connection keeps replies in order.
    let queue = Promise.resolve();
    let waiting = 0;
    const send = (reply: ResultMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
    };
    ws.on('message', (data, isBinary) => {
      if (waiting >= maxPendingCalls) {
        send(tooManyCalls(data, maxPendingCalls));
        return;
      }
      waiting += 1;
      queue = queue
        .then(() => answer(service, data, isBinary))
        .then(send)
        .catch(() => undefined)
        .finally(() => {
          waiting -= 1;
        });
    });
    ws.on('error', () => ws.terminate()); // e.g. a frame over HARD_FRAME_LIMIT
  });

  // Every push to every open connection, so a second tab never goes stale.
  const stopPushes = apiEventNames.map((event) =>
    options.events
      ? options.events.subscribe(event, (result) => {
          if (!result.ok) return;
          const message: EventMessage = { event, payload: result.value };
          const text = JSON.stringify(message);
          for (const client of sockets.clients) {
            if (client.readyState !== client.OPEN) continue;
            if (event === 'streamUpdate' && client.bufferedAmount > STREAM_BACKLOG_LIMIT) continue;
            client.send(text);
          }
        })
      : () => undefined,
  );

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!hostAllowed(request.headers.host, hosts)) return refuseUpgrade(socket, 421, MISDIRECTED);
    const url = requestUrl(request);
    if (!url || url.pathname !== WEB_SOCKET_PATH) return refuseUpgrade(socket, 404, 'no WebSocket here');
    const auth = checkToken(request, url, token, cookieName);
    if (!auth.ok) return refuseUpgrade(socket, auth.status, auth.reason);
    if (!originAllowed(request)) return refuseUpgrade(socket, 403, 'Origin must be this server\'s own page');
    if (sockets.clients.size >= maxConnections) {
      return refuseUpgrade(socket, 503, `too many open windows (at most ${maxConnections}); close one and reload`);
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  try {
    hosts = allowedHosts({ bindHost: host, port, extra: options.allowHosts });
  } catch (error) {
    server.close();
    throw error;
  }
  cookieName = tokenCookieName(port);

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    host,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        stopPushes.forEach((stop) => stop());
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
