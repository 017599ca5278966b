// Serves the built window on app://sharedmemory/ instead of file://, so the
// page has a real origin the IPC handlers can check, and every response
// carries the strict Content-Security-Policy as a header.
import { protocol } from 'electron';
import { contentSecurityPolicy } from '../api/content-security-policy.js';
import { loadStaticFile } from '../server/static-files.js';
import { APP_ORIGIN } from './ipc/api-handlers.js';

export const APP_SCHEME = 'app';
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** No network at all: the Electron window talks to main only over IPC. */
export const ELECTRON_CSP = contentSecurityPolicy({ connect: ["'none'"] });

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true } },
  ]);
}

export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const headers = {
      'Content-Security-Policy': ELECTRON_CSP,
      'X-Content-Type-Options': 'nosniff',
    };
    if (url.host !== 'sharedmemory' || request.method !== 'GET') {
      return new Response('not found', { status: 404, headers });
    }
    const file = await loadStaticFile(rendererDir, url.pathname);
    if (!file) return new Response('not found', { status: 404, headers });
    return new Response(new Uint8Array(file.body), {
      status: 200,
      headers: { ...headers, 'Content-Type': file.contentType },
    });
  });
}
