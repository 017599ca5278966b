#!/usr/bin/env node
// Builds what the benches run: the native bench (make, warnings as errors) and
// the Node bench bundled with the app's Linux backend (esbuild; koffi stays
// external because it loads a native binary from its own package).
//   dist/bench/shm-bench, dist/bench/node-bench.mjs
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

export async function buildBench() {
  execFileSync('make', ['-s', '-C', 'bench/c'], { cwd: root, stdio: 'inherit' });
  await build({
    absWorkingDir: root,
    entryPoints: ['bench/node/node-bench.mjs'],
    outfile: 'dist/bench/node-bench.mjs',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['koffi'],
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await buildBench();
