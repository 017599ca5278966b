// `npm run dist:win` / `dist:linux` where Electron's and electron-builder's
// download hosts cannot be reached (as here): they must stop quickly with a
// message that names the offline options, never hang. The second half runs
// electron-builder itself (no preflight) to show that its own failure is
// caught and explained too. Skipped where the hosts are reachable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { root } from './paths.mjs';

const offline = await lookup('github.com').then(() => false, () => true);
const skip = offline ? false : 'github.com resolves here, so the offline failure cannot be shown';

// A home with no caches, so nothing downloaded earlier can be used.
const home = mkdtempSync(join(tmpdir(), 'shm-dist-home-'));
after(() => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') };
for (const name of ['ELECTRON_BUILDER_CACHE', 'ELECTRON_CACHE', 'ELECTRON_MIRROR', 'ELECTRON_BUILDER_BINARIES_MIRROR', 'ELECTRON_BUILDER_NSIS_DIR']) delete env[name];

function dist(args, timeoutMs) {
  const started = Date.now();
  const r = spawnSync('npm', ['run', '--silent', ...args], { cwd: root, env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { ...r, seconds: (Date.now() - started) / 1000, output: `${r.stdout}${r.stderr}` };
}

function assertOfflineHelp(r) {
  assert.equal(r.error, undefined, `it hung: killed after ${r.seconds} s`);
  assert.equal(r.status, 3, `exit ${r.status}\n${r.output}`);
  for (const option of ['--electron-dist', 'electronDist', 'ELECTRON_BUILDER_CACHE', 'ELECTRON_MIRROR', 'ELECTRON_BUILDER_BINARIES_MIRROR']) {
    assert.ok(r.output.includes(option), `the message names ${option}:\n${r.output}`);
  }
}

for (const platform of ['win', 'linux']) {
  test(`npm run dist:${platform} stops within 30 s, naming the offline options`, { skip }, () => {
    const r = dist([`dist:${platform}`], 30_000);
    assertOfflineHelp(r);
    assert.match(r.output, /cannot be reached/);
    assert.ok(r.seconds < 30);
  });
}

test('electron-builder\'s own download failure is caught and explained (no preflight), within 3 minutes', { skip }, () => {
  const r = dist(['dist:linux', '--', '--skip-preflight', '--timeout-minutes', '3'], 200_000);
  assertOfflineHelp(r);
  assert.match(r.output, /ENOTFOUND|EAI_AGAIN|RequestError/, 'electron-builder ran and failed on a download');
  assert.match(r.output, /electron-builder failed while downloading/);
});

test('a bad --electron-dist is refused with the reason', () => {
  const r = dist(['dist:win', '--', '--electron-dist', home], 30_000);
  assert.equal(r.status, 2, r.output);
  assert.match(r.output, /has no electron\.exe/);
});

test('with Electron and the tools provided, dist:win still refuses to package without its inputs', () => {
  // An "unpacked Electron" and a trusted (empty) cache get past the download
  // checks; what must stop the build then is a missing app build, driver
  // package or Windows koffi binary, each named, before electron-builder runs.
  const electronDist = join(home, 'electron-win');
  mkdirSync(electronDist, { recursive: true });
  writeFileSync(join(electronDist, 'electron.exe'), '');
  const cache = join(home, 'builder-cache');
  mkdirSync(cache, { recursive: true });
  const started = Date.now();
  const r = spawnSync('npm', ['run', '--silent', 'dist:win', '--', '--electron-dist', electronDist], {
    cwd: root, env: { ...env, ELECTRON_BUILDER_CACHE: cache }, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL',
  });
  const output = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 2, output);
  assert.ok(Date.now() - started < 30_000);
  assert.match(output, /missing build outputs|dist\/driver\/windows lacks|koffi-win32-x64 is missing/);
  assert.doesNotMatch(output, /dist: electron-builder /, 'electron-builder was not started');
});
