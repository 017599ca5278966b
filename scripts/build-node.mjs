#!/usr/bin/env node
// Bundles the Node-side entry points with esbuild:
//   dist/electron/main.js     Electron main process (ESM)
//   dist/preload/preload.cjs  the preload (CommonJS: sandboxed preloads cannot be ESM)
//   dist/server/server.js     browser mode, runnable with plain `node` (ESM)
// koffi stays external: it loads a native binary from its own package. The
// kernel backends (which load koffi) are imported dynamically and split into
// their own chunks, so the simulated driver runs even where koffi cannot load.
//
//   node scripts/build-node.mjs [--quiet] [--out DIR]   (DIR defaults to dist)
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    quiet: { type: 'boolean', default: false },
    out: { type: 'string', default: 'dist' },
  },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const out = (...parts) => join(values.out, ...parts);
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: values.quiet ? 'warning' : 'info',
  external: ['electron', 'koffi'],
};
const esm = {
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // ESM bundles of CommonJS dependencies need a real `require` (ws uses it).
  banner: {
    js: "import { createRequire as __shmCreateRequire } from 'node:module'; const require = __shmCreateRequire(import.meta.url);",
  },
};

await Promise.all([
  build({ ...common, ...esm, entryPoints: { main: 'electron/main.ts' }, outdir: out('electron') }),
  build({
    ...common,
    entryPoints: ['preload/preload.ts'],
    outfile: out('preload', 'preload.cjs'),
    format: 'cjs',
    // The sandboxed preload sees a browser-like global scope plus require('electron').
    platform: 'browser',
    target: 'chrome130',
  }),
  build({ ...common, ...esm, entryPoints: { server: 'server/main.ts' }, outdir: out('server') }),
]);
