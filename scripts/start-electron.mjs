#!/usr/bin/env node
// `npm start [-- --backend auto|simulated|windows|linux]`: builds and launches
// the Electron app. Where the Electron runtime is missing (npm ci may skip its
// download, and offline machines cannot fetch it), says so once and exits
// non-zero instead of letting electron's launcher try to download it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The Electron executable, or null when it is not installed. Never downloads. */
function electronExecutable() {
  const packageDir = join(root, 'node_modules', 'electron');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const name = process.platform === 'win32' ? 'electron.exe' : 'electron';
    const path = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name);
    return existsSync(path) ? path : null;
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const path = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? path : null;
}

const executable = electronExecutable();
if (!executable) {
  console.error(
    'SharedMemory: the Electron runtime is not installed (node_modules/electron/dist is missing; ' +
      'it is downloaded from GitHub when electron installs). Run the same window in a browser: npm run start:web',
  );
  process.exit(1);
}

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
