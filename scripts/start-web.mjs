#!/usr/bin/env node
// `npm run start:web -- --port N --backend auto|simulated|windows|linux [--host H]`
// Builds the UI and the server quietly, then runs dist/server/server.js with
// the same arguments, so the only line it prints is the server's URL line.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const steps = [
  [process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error']],
  [process.execPath, ['scripts/build-node.mjs', '--quiet']],
];
for (const [command, args] of steps) {
  const r = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`start:web: building failed (${[command, ...args].join(' ')}, exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const server = spawn(process.execPath, ['dist/server/server.js', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// Pass Ctrl+C / kill on to the server, which releases and closes the device.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
