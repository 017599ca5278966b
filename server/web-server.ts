// Browser mode: an HTTP server for the built window and a WebSocket that
// carries the app's API (api/web-protocol.ts) to the same SharedMemoryService
// the Electron app uses. Every request needs the run's token; the socket also
// needs the page's own Origin. Bad messages get an error reply; the server
// and the connection live on.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { apiEventNames, type ApiError, type ApiName, type ApiResult, type SharedMemoryEvents } from '../api/shared-memory-api.js';
import {
  callMessageSchema,
  MAX_MESSAGE_BYTES,
  WEB_SOCKET_PATH,
  type EventMessage,
  type ResultMessage,
} from '../api/web-protocol.js';
import { checkToken, expectedOrigin, newToken, originAllowed, tokenCookie } from './web-auth.js';
import { loadStaticFile } from './static-files.js';

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
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); default: a random one per run. */
  token?: string;
}

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

function contentSecurityPolicy(request: IncomingMessage): string {
  const origin = expectedOrigin(request);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    // 'self' does not cover ws: in every browser; name the socket's origin.
    `connect-src 'self'${origin ? ` ${origin.replace(/^http/, 'ws')}` : ''}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function securityHeaders(request: IncomingMessage): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(request),
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
function refuseUpgrade(socket: Duplex, status: 400 | 401 | 403 | 404, text: string): void {
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status];
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

/** Handles one WebSocket message; always answers exactly once. */
async function answer(service: ApiInvoker, data: RawData, isBinary: boolean): Promise<ResultMessage> {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
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
    // Answer with the caller's id when it sent a usable one, so it can match the reply.
    const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    return {
      id: typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null,
      result: { ok: false, error: protocolError('invalid-message', `Message refused: ${problems}.`) },
    };
  }
  const { id, name, request } = parsed.data;
  return { id, result: await service.invoke(name, request) };
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const token = options.token ?? newToken();
  const host = options.host ?? '127.0.0.1';
  const { service, staticDir } = options;

  const server = createServer((request, response) => {
    void (async () => {
      const url = requestUrl(request);
      if (!url) return sendText(request, response, 400, 'bad request');
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('Allow', 'GET, HEAD');
        return sendText(request, response, 405, 'only GET and HEAD');
      }
      const auth = checkToken(request, url, token);
      if (!auth.ok) return sendText(request, response, auth.status, auth.reason);
      if (url.pathname === WEB_SOCKET_PATH) return sendText(request, response, 426, 'this path is a WebSocket');
      const file = await loadStaticFile(staticDir, url.pathname);
      if (!file) return sendText(request, response, 404, 'not found');
      const headers: Record<string, string | number> = {
        ...securityHeaders(request),
        'Content-Type': file.contentType,
        'Content-Length': file.body.byteLength,
      };
      if (auth.source === 'query') headers['Set-Cookie'] = tokenCookie(token);
      response.writeHead(200, headers);
      response.end(request.method === 'HEAD' ? undefined : file.body);
    })().catch((error: unknown) => {
      if (!response.headersSent) sendText(request, response, 500, error instanceof Error ? error.message : 'internal error');
      else response.destroy();
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_LIMIT });
  sockets.on('connection', (ws: WebSocket) => {
    // One call at a time per connection keeps replies in order.
    let queue = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      queue = queue
        .then(() => answer(service, data, isBinary))
        .then((reply) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
        })
        .catch(() => undefined);
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
    const url = requestUrl(request);
    if (!url || url.pathname !== WEB_SOCKET_PATH) return refuseUpgrade(socket, 404, 'no WebSocket here');
    const auth = checkToken(request, url, token);
    if (!auth.ok) return refuseUpgrade(socket, auth.status, auth.reason);
    if (!originAllowed(request)) return refuseUpgrade(socket, 403, 'Origin must be this server\'s own page');
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
