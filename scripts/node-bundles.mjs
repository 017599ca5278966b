// esbuild options of the Node-side entry points, shared by the one-off build
// (build-node.mjs) and the watch of `npm run dev` (dev.mjs):
//   electron/main.js     Electron main process (ESM)
//   preload/preload.cjs  the preload (CommonJS: sandboxed preloads cannot be ESM)
//   server/server.js     browser mode, runnable with plain `node` (ESM)
// koffi stays external: it loads a native binary from its own package. The
// kernel backends (which load koffi) are imported dynamically and split into
// their own chunks, so the simulated driver runs even where koffi cannot load.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** { main, preload, server }: esbuild options writing under `outDir`. */
export function nodeBundles({ outDir = 'dist', quiet = false } = {}) {
  const out = (...parts) => join(outDir, ...parts);
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: quiet ? 'warning' : 'info',
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
  return {
    main: { ...common, ...esm, entryPoints: { main: 'electron/main.ts' }, outdir: out('electron') },
    preload: {
      ...common,
      entryPoints: ['preload/preload.ts'],
      outfile: out('preload', 'preload.cjs'),
      format: 'cjs',
      // The sandboxed preload sees a browser-like global scope plus require('electron').
      platform: 'browser',
      target: 'chrome130',
    },
    server: { ...common, ...esm, entryPoints: { server: 'server/main.ts' }, outdir: out('server') },
  };
}
