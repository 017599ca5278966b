#!/usr/bin/env node
// `npm start [-- --backend auto|simulated|windows|linux]`: builds and launches
// the Electron app. The Electron runtime is not part of `npm ci`: the first
// start fetches it; where that cannot happen (offline), says so in one line,
// with the way out, and exits non-zero.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The Electron executable, or null when it is not installed. */
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

/**
 * Electron 45 fetches its runtime on first use rather than at install. Try
 * that once, quietly; returns why it failed, or null when it worked.
 */
function downloadElectron() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return 'ELECTRON_OVERRIDE_DIST_PATH names a directory without it';
  if (process.stderr.isTTY) process.stderr.write('SharedMemory: fetching the Electron runtime (once)...\r');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (process.stderr.isTTY) process.stderr.write('\x1b[2K');
  if (r.status === 0) return null;
  const output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  // install.js prints the error and its stack; the error's first line says enough.
  const firstLine = output
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line && !line.startsWith('at ') && !line.startsWith('Downloading'));
  const cause = r.error?.message ?? firstLine ?? `exit ${r.status ?? r.signal}`;
  return `the download failed: ${cause}`;
}

let executable = electronExecutable();
if (!executable) {
  const failure = downloadElectron();
  executable = failure ? null : electronExecutable();
  if (!executable) {
    console.error(
      `SharedMemory: the Electron runtime is not installed (${failure ?? 'the download gave no runtime'}). ` +
        'Fetch it with `npx install-electron` where GitHub is reachable, or run the same window in a browser: npm run start:web',
    );
    process.exit(1);
  }
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
