#!/usr/bin/env node
// Bundles the Node-side entry points with esbuild:
//   dist/electron/main.js     Electron main process (ESM)
//   dist/preload/preload.cjs  the preload (CommonJS: sandboxed preloads cannot be ESM)
//   dist/server/server.js     browser mode, runnable with plain `node` (ESM)
// koffi stays external: it loads a native binary from its own package.
//
//   node scripts/build-node.mjs [--quiet]
import { build } from 'esbuild';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { quiet: { type: 'boolean', default: false } } });
const root = new URL('..', import.meta.url).pathname;
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: values.quiet ? 'warning' : 'info',
  external: ['electron', 'koffi'],
};
// ESM bundles of CommonJS dependencies need a real `require` (ws uses it).
const esmRequire = {
  js: "import { createRequire as __shmCreateRequire } from 'node:module'; const require = __shmCreateRequire(import.meta.url);",
};

await Promise.all([
  build({
    ...common,
    entryPoints: ['electron/main.ts'],
    outfile: 'dist/electron/main.js',
    format: 'esm',
    banner: esmRequire,
  }),
  build({
    ...common,
    entryPoints: ['preload/preload.ts'],
    outfile: 'dist/preload/preload.cjs',
    format: 'cjs',
    // The sandboxed preload sees a browser-like global scope plus require('electron').
    platform: 'browser',
    target: 'chrome130',
  }),
  build({
    ...common,
    entryPoints: ['server/main.ts'],
    outfile: 'dist/server/server.js',
    format: 'esm',
    banner: esmRequire,
  }),
]);
