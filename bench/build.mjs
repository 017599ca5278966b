#!/usr/bin/env node
// Builds what the benches run: the native bench (make, warnings as errors) and
// the Node bench bundled with the app's Linux backend (esbuild; koffi stays
// external because it loads a native binary from its own package).
//   dist/bench/shm-bench, dist/bench/node-bench.mjs, dist/bench/stream-bench.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

export async function buildBench() {
  execFileSync('make', ['-s', '-C', 'bench/c'], { cwd: root, stdio: 'inherit' });
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['bench/node/node-bench.mjs', 'bench/node/stream-bench.mjs'],
    outdir: 'dist/bench',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['koffi'],
    logLevel: 'warning',
    write: false,
  });
  // Rewrite the bundle only when it changed, like make does for the binary,
  // so a bench already running elsewhere never sees a file being replaced.
  for (const file of result.outputFiles) {
    if (existsSync(file.path) && readFileSync(file.path).equals(Buffer.from(file.contents))) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.contents);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildBench();
