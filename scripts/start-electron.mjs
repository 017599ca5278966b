#!/usr/bin/env node
// `npm start [-- --backend auto|simulated|windows|linux]`: builds and launches
// the Electron app. The Electron runtime is not part of `npm ci`: the first
// start fetches it; where that cannot happen (offline), says so in one line,
// with the way out, and exits non-zero.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronRuntime } from './electron-runtime.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

const runtime = electronRuntime();
if (!runtime.path) {
  console.error(runtime.missing);
  process.exit(1);
}
const executable = runtime.path;

for (const [command, args] of [
  [process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error']],
  [process.execPath, ['scripts/build-node.mjs', '--quiet']],
]) {
  const r = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`start: building failed (${[command, ...args].join(' ')}, exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const app = spawn(executable, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.kill(signal));
app.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
