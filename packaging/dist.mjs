#!/usr/bin/env node
// Builds the installers with electron-builder (npm run dist:win / dist:linux).
//
// electron-builder downloads the Electron zip for the target platform and its
// own tools (NSIS for Windows, fpm and the AppImage runtime for Linux) on first
// use. Where those hosts cannot be reached this script stops in seconds with
// the offline options instead of letting the build retry and time out; where a
// download fails during the build it says the same. It also checks that the
// app and (for Windows) the driver were built first.
//
//   node packaging/dist.mjs --platform win|linux [--electron-dist DIR]
//        [--timeout-minutes N] [--skip-preflight] [-- <electron-builder args>]
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROBE_TIMEOUT_MS = 5000;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    platform: { type: 'string' },
    'electron-dist': { type: 'string' },
    'timeout-minutes': { type: 'string', default: '30' },
    'skip-preflight': { type: 'boolean', default: false },
  },
});

const PLATFORMS = {
  win: {
    builderArgs: ['--win', 'nsis', '--x64'],
    electronPlatform: 'win32',
    electronBinary: 'electron.exe',
    koffiPackage: '@koromix/koffi-win32-x64',
  },
  linux: {
    builderArgs: ['--linux', 'deb', 'AppImage', '--x64'],
    electronPlatform: 'linux',
    electronBinary: 'electron',
    koffiPackage: '@koromix/koffi-linux-x64',
  },
};

const OFFLINE_HELP = `
electron-builder needs files it downloads on first use, and their hosts cannot be reached.
Build offline with any of these:
  - an unpacked Electron for the target (the electron-v<version>-<platform>-x64.zip from
    Electron's releases, extracted):  npm run dist:<win|linux> -- --electron-dist <dir>
    (electron-builder's "electronDist" option)
  - a filled electron-builder cache: copy the downloads of a machine that has built once
    (~/.cache/electron-builder and ~/.cache/electron on Linux,
    %LOCALAPPDATA%\\electron-builder\\Cache on Windows) and point ELECTRON_BUILDER_CACHE
    (and ELECTRON_CACHE) at them
  - mirrors you can reach: ELECTRON_MIRROR for Electron, ELECTRON_BUILDER_BINARIES_MIRROR
    for NSIS, fpm and the AppImage tools
  - Windows installer only: ELECTRON_BUILDER_NSIS_DIR=<an NSIS bundle electron-builder accepts>
  - Linux .deb only: USE_SYSTEM_FPM=true with fpm installed
See packaging/README.md.`;

function fail(message, code = 2) {
  console.error(`dist: ${message}`);
  process.exit(code);
}

const target = PLATFORMS[values.platform ?? ''];
if (!target) fail('--platform must be "win" or "linux"');
const timeoutMinutes = Number(values['timeout-minutes']);
if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0) fail('--timeout-minutes must be a positive number');

const electronVersion = JSON.parse(
  readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8'),
).version;
const electronZip = `electron-v${electronVersion}-${target.electronPlatform}-x64.zip`;

/** Resolves when a TCP connection to host:443 opens, rejects otherwise (quickly). */
async function reachable(host) {
  const { address } = await lookup(host);
  await new Promise((ok, no) => {
    const socket = connect({ host: address, port: 443, timeout: PROBE_TIMEOUT_MS });
    socket.once('connect', () => { socket.destroy(); ok(); });
    socket.once('timeout', () => { socket.destroy(); no(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)); });
    socket.once('error', no);
  });
}

function hostOf(url, fallback) {
  try { return url ? new URL(url).hostname : fallback; } catch { return fallback; }
}

function findFile(dir, name, depth = 3) {
  if (!dir || depth < 0 || !existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name === name) return true;
    if (entry.isDirectory() && findFile(join(dir, entry.name), name, depth - 1)) return true;
  }
  return false;
}

async function checkDownloadable(what, host) {
  try {
    await reachable(host);
  } catch (error) {
    fail(`${what} would be downloaded from ${host}, which cannot be reached (${error.message}).\n${OFFLINE_HELP}`, 3);
  }
}

async function preflight(extraConfig) {
  // 1. Electron itself: an unpacked copy, a cached zip, or a reachable host.
  const electronDist = values['electron-dist'];
  if (electronDist) {
    const binary = join(resolve(electronDist), target.electronBinary);
    if (!existsSync(binary)) fail(`--electron-dist ${electronDist} has no ${target.electronBinary}; give the directory of an unpacked Electron ${electronVersion} for ${target.electronPlatform}.`);
    extraConfig.push(`-c.electronDist=${resolve(electronDist)}`);
  } else {
    const caches = [
      process.env.ELECTRON_BUILDER_CACHE,
      process.env.ELECTRON_CACHE,
      join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'electron-builder'),
      join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'electron'),
      process.env.LOCALAPPDATA && join(process.env.LOCALAPPDATA, 'electron-builder', 'Cache'),
      process.env.LOCALAPPDATA && join(process.env.LOCALAPPDATA, 'electron', 'Cache'),
    ];
    if (!caches.some((dir) => findFile(dir, electronZip))) {
      await checkDownloadable(`Electron ${electronVersion} (${electronZip})`, hostOf(process.env.ELECTRON_MIRROR, 'github.com'));
    }
  }
  // 2. electron-builder's own tools.
  //    A given ELECTRON_BUILDER_CACHE is trusted to hold them.
  const binariesHost = hostOf(process.env.ELECTRON_BUILDER_BINARIES_MIRROR, 'github.com');
  const toolsCached = Boolean(process.env.ELECTRON_BUILDER_CACHE);
  if (values.platform === 'win' && !process.env.ELECTRON_BUILDER_NSIS_DIR && !toolsCached) {
    await checkDownloadable('The NSIS compiler electron-builder uses', binariesHost);
  }
  if (values.platform === 'linux' && !toolsCached) {
    await checkDownloadable('The AppImage runtime (and fpm, for the .deb)', binariesHost);
  }
  // 3. What goes into the package must exist.
  const app = ['dist/electron/main.js', 'dist/preload/preload.cjs', 'dist/renderer/index.html'];
  const missingApp = app.filter((file) => !existsSync(join(root, file)));
  if (missingApp.length) fail(`missing build outputs: ${missingApp.join(', ')}. Run \`npm run build\` first.`);
  if (values.platform === 'win') {
    // The installer ships the driver package as one: image, INF and the catalog
    // that signs both (see win.extraResources in electron-builder.yml).
    const pkg = ['sharedmemory.sys', 'sharedmemory.inf'].filter((f) => !existsSync(join(root, 'dist/driver/windows', f)));
    if (pkg.length) {
      fail(`dist/driver/windows lacks ${pkg.join(' and ')}. Put the driver package there: on Windows, the WDK build's ` +
        'package directory (sharedmemory.sys, .inf, .cat; see .github/workflows/ci.yml); on Linux, ' +
        '`npm run build:driver:windows` (the cross-build writes the .sys and copies the .inf beside it).');
    }
    if (!existsSync(join(root, 'dist/driver/windows/sharedmemory.cat'))) {
      console.warn('dist: warning: no dist/driver/windows/sharedmemory.cat. Without a signed catalog Windows refuses the ' +
        'driver package at install time; inf2cat and signtool (WDK) make it, on Windows only.');
    }
  }
  // 4. The .deb's control file needs the project's URL: electron-builder takes
  //    package.json's homepage or repository, or a GitHub origin remote.
  if (values.platform === 'linux') {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const gitConfig = existsSync(join(root, '.git/config')) ? readFileSync(join(root, '.git/config'), 'utf8') : '';
    const githubOrigin = /\[remote "origin"\][^[]*url = \S*github\.com/.test(gitConfig);
    if (!pkg.homepage && !pkg.repository && !githubOrigin) {
      fail('the .deb needs a project URL, and there is none: add "homepage" (or "repository") to package.json, ' +
        'or build from a clone whose origin is on GitHub (as CI does).');
    }
  }
  // 5. koffi's native module for the target (npm installs only the host's).
  if (!existsSync(join(root, 'node_modules', target.koffiPackage))) {
    const koffiVersion = JSON.parse(readFileSync(join(root, 'node_modules/koffi/package.json'), 'utf8')).version;
    fail(`node_modules/${target.koffiPackage} is missing, so the packaged app could not load koffi on ${target.electronPlatform}. ` +
      `Install it for the target: npm install --no-save --force ${target.koffiPackage}@${koffiVersion}`);
  }
}

const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up|RequestError|cannot download|download failed/i;

async function build(extraConfig) {
  const builder = join(root, 'node_modules/.bin/electron-builder');
  const args = [...target.builderArgs, '--publish', 'never', '--config', 'electron-builder.yml', ...extraConfig, ...positionals];
  console.log(`dist: electron-builder ${args.join(' ')}`);
  const child = spawn(builder, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
  child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
  }, timeoutMinutes * 60_000);
  const code = await new Promise((done) => child.on('close', (c) => done(c ?? 1)));
  clearTimeout(timer);
  if (timedOut) fail(`electron-builder did not finish within ${timeoutMinutes} minutes and was stopped.\n${OFFLINE_HELP}`, 4);
  if (code !== 0) {
    if (NETWORK_ERROR.test(output)) fail(`electron-builder failed while downloading (see above).\n${OFFLINE_HELP}`, 3);
    fail(`electron-builder failed (exit ${code}).`, code);
  }
  const outDir = join(root, 'out/installers');
  const artifacts = existsSync(outDir)
    ? readdirSync(outDir).filter((f) => /\.(exe|deb|AppImage)$/.test(f) && statSync(join(outDir, f)).isFile())
    : [];
  console.log(`dist: built ${artifacts.map((f) => `out/installers/${f}`).join(', ') || 'nothing?'}`);
}

const extraConfig = [];
if (values['skip-preflight']) {
  if (values['electron-dist']) extraConfig.push(`-c.electronDist=${resolve(values['electron-dist'])}`);
} else {
  await preflight(extraConfig);
}
await build(extraConfig);
