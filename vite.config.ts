// Builds the window (renderer/) into dist/renderer with relative URLs, so the
// same files load from disk in Electron and over HTTP in browser mode.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { contentSecurityPolicy as policy } from './api/content-security-policy.js';

/**
 * The Content Security Policy of the built page: only its own scripts and
 * styles, no inline code, no plugins, no frames, network only to its own
 * origin (browser mode's WebSocket). Added at build time because Vite's dev
 * server needs inline scripts.
 */
export const CONTENT_SECURITY_POLICY = policy({ connect: ["'self'"], forMetaTag: true });

function contentSecurityPolicy(): Plugin {
  return {
    name: 'sharedmemory-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // No inlined assets: data: URLs for scripts would need a looser CSP.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
});
