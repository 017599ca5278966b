#!/usr/bin/env node
// `npm run dev [-- --web] [-- server/app arguments]`: development with hot reload.
//
//   Electron (default): Vite's dev server serves the renderer with hot module
//   reload; esbuild watches main and preload, and each rebuild restarts the
//   Electron app, which loads the renderer from the dev server
//   (SHAREDMEMORY_DEV_SERVER_URL; an unpackaged app only, with Reload and
//   DevTools in its menu).
//   --web: the same for browser mode: esbuild watches the server and restarts
//   it on each rebuild; Vite's dev server proxies /api to it. Open the
//   http://127.0.0.1:5173/?token=... address this prints.
//
// Ctrl+C stops everything (the app or server releases its allocation first).
import { spawn } from 'node:child_process';
import { context } from 'esbuild';
import { createServer } from 'vite';
import { electronRuntime } from './electron-runtime.mjs';
import { nodeBundles, root } from './node-bundles.mjs';

const DEV_PORT = 5173;
const SERVER_PORT = 5199;
const args = process.argv.slice(2);
const web = args.includes('--web');
const passOn = args.filter((a) => a !== '--web');
const devUrl = `http://127.0.0.1:${DEV_PORT}/`;

let runtimePath = null;
if (!web) {
  const runtime = electronRuntime();
  if (!runtime.path) {
    console.error(`${runtime.missing} (or: npm run dev -- --web)`);
    process.exit(1);
  }
  runtimePath = runtime.path;
}

/** The app or the server, restarted after every rebuild. */
let child = null;
let stopping = false;
function stopChild() {
  const running = child;
  child = null;
  if (!running || running.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => running.kill('SIGKILL'), 5_000);
    running.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    running.kill('SIGTERM');
  });
}

async function restart() {
  await stopChild();
  if (stopping) return;
  if (web) {
    child = spawn(process.execPath, ['dist/server/server.js', '--port', String(SERVER_PORT), ...passOn], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The server's own URL names its port; the page is served by Vite here.
    child.stdout.on('data', (d) => {
      const text = d.toString().replace(/http:\/\/[^/\s]+\/\?token=/, `${devUrl}?token=`);
      process.stdout.write(text.replace('SharedMemory web UI:', 'SharedMemory web UI (dev, hot reload):'));
    });
  } else {
    child = spawn(runtimePath, ['.', ...passOn], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, SHAREDMEMORY_DEV_SERVER_URL: devUrl },
    });
  }
  const started = child;
  started.on('exit', (code, signal) => {
    if (child === started && !stopping) console.error(`dev: ${web ? 'the server' : 'the app'} exited (${code ?? signal}); it restarts on the next rebuild`);
  });
}

// Vite: the renderer with hot module reload; in browser mode also the socket, proxied.
const vite = await createServer({
  configFile: `${root}vite.config.ts`,
  server: {
    host: '127.0.0.1',
    port: DEV_PORT,
    strictPort: true,
    proxy: web
      ? {
          '/api': {
            target: `ws://127.0.0.1:${SERVER_PORT}`,
            ws: true,
            changeOrigin: true,
            // The server accepts only its own page's Origin; here that page is Vite's.
            configure: (proxy) => proxy.on('proxyReqWs', (request) => request.setHeader('origin', `http://127.0.0.1:${SERVER_PORT}`)),
          },
        }
      : undefined,
  },
});
await vite.listen();

// esbuild: main and preload (Electron) or the server (browser mode), restarted when rebuilt.
const bundles = nodeBundles({ quiet: true });
let pending = null;
const restartPlugin = {
  name: 'sharedmemory-restart',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0) {
        console.error('dev: the build failed; fix it and save again');
        return;
      }
      // Main and preload finish close together: restart once for both.
      clearTimeout(pending);
      pending = setTimeout(() => void restart(), 200);
    });
  },
};
const watched = web ? [bundles.server] : [bundles.main, bundles.preload];
const contexts = await Promise.all(watched.map((options) => context({ ...options, plugins: [restartPlugin] })));
await Promise.all(contexts.map((c) => c.watch()));
console.log(`dev: renderer on ${devUrl} (hot reload); ${web ? 'server' : 'main and preload'} rebuilt and restarted on change. Ctrl+C stops.`);

async function shutdown() {
  if (stopping) return;
  stopping = true;
  clearTimeout(pending);
  await Promise.all(contexts.map((c) => c.dispose()));
  await stopChild();
  await vite.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void shutdown());
