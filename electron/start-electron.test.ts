// `npm start` where the Electron runtime is missing: one clear message that
// points to browser mode, a non-zero exit, and no attempt to download.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
    expect(Date.now() - started).toBeLessThan(5_000); // no download, no build
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
