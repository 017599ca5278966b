// The Electron runtime for `npm start` and `npm run dev`. It is not part of
// `npm ci`: Electron 45 fetches it on first use. Where that cannot happen
// (offline) the caller gets why, to say in one line with the way out.
import { spawnSync } from 'node:child_process';
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

/** Tries the first-use download once, quietly; returns why it failed, or null when it worked. */
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

/** { path } of the runtime, fetching it once if needed, or { missing } with the one line to print. */
export function electronRuntime() {
  let path = electronExecutable();
  if (path) return { path, missing: null };
  const failure = downloadElectron();
  path = failure ? null : electronExecutable();
  if (path) return { path, missing: null };
  return {
    path: null,
    missing:
      `SharedMemory: the Electron runtime is not installed (${failure ?? 'the download gave no runtime'}). ` +
      'Fetch it with `npx install-electron` where GitHub is reachable, or run the same window in a browser: npm run start:web',
  };
}
