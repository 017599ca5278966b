// Browser mode's gatekeeping: the per-run token (query parameter or the
// HttpOnly cookie set on the first valid page load) and, for the WebSocket,
// an Origin equal to the page's own origin (http://<Host header>), so another
// site open in the same browser cannot drive the device.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { normaliseHost } from './host-allowlist.js';
import { TOKEN_QUERY_PARAM } from '../api/web-protocol.js';

export const newToken = (): string => randomBytes(24).toString('base64url');

export type TokenCheck =
  | { ok: true; source: 'query' | 'cookie' }
  | { ok: false; status: 401 | 403; reason: string };

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** 401 without any token, 403 with a wrong one. */
export function checkToken(request: IncomingMessage, url: URL, expected: string, cookieName: string): TokenCheck {
  const fromQuery = url.searchParams.get(TOKEN_QUERY_PARAM);
  const fromCookie = cookieValue(request.headers.cookie, cookieName);
  if (fromQuery === null && fromCookie === null) {
    return { ok: false, status: 401, reason: 'this server needs the token printed by npm run start:web' };
  }
  if (fromQuery !== null) {
    return sameToken(fromQuery, expected)
      ? { ok: true, source: 'query' }
      : { ok: false, status: 403, reason: 'wrong token' };
  }
  return sameToken(fromCookie ?? '', expected)
    ? { ok: true, source: 'cookie' }
    : { ok: false, status: 403, reason: 'wrong token' };
}

export function tokenCookie(cookieName: string, token: string): string {
  return `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * The page's own origin, as the browser reports it, or null if the Host
 * header is unusable. Only meaningful once the Host passed the allowlist
 * (host-allowlist.ts): a rebinding page controls both Host and Origin.
 */
export function expectedOrigin(request: IncomingMessage): string | null {
  const host = request.headers.host === undefined ? null : normaliseHost(request.headers.host);
  return host === null ? null : `http://${host}`;
}

export function originAllowed(request: IncomingMessage): boolean {
  const expected = expectedOrigin(request);
  return expected !== null && request.headers.origin?.toLowerCase() === expected;
}
