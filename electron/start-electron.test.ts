// `npm start` where the Electron runtime is missing: it tries the one-time
// download, and where that fails, one clear message that points to browser
// mode and a non-zero exit.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('says the Electron runtime is missing, points to npm run start:web, and exits 1 at once', () => {
  const empty = mkdtempSync(join(tmpdir(), 'shm-no-electron-'));
  try {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['scripts/start-electron.mjs'], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 10_000,
      // An Electron install with no binary in it, wherever this test runs.
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^SharedMemory: the Electron runtime is not installed .*npm run start:web$/);
    expect(lines[0]).toContain('ELECTRON_OVERRIDE_DIST_PATH names a directory without it');
    expect(Date.now() - started).toBeLessThan(5_000); // no download, no build
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

const root = join(import.meta.dirname, '..');
const runtimeInstalled = existsSync(join(root, 'node_modules', 'electron', 'path.txt'));

it.skipIf(runtimeInstalled)(
  'tries the download once and, when it fails, says why in one line (skipped where the runtime is installed)',
  () => {
    const r = spawnSync(process.execPath, ['scripts/start-electron.mjs'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      // A mirror that refuses at once, so the download fails here and anywhere.
      env: { ...process.env, ELECTRON_MIRROR: 'http://127.0.0.1:9/', ELECTRON_OVERRIDE_DIST_PATH: '' },
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^SharedMemory: the Electron runtime is not installed \(the download failed: .+\)\. /);
    expect(lines[0]).toMatch(/npx install-electron.*npm run start:web$/);
  },
);
