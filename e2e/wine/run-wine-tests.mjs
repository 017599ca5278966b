#!/usr/bin/env node
// The windows-wine test stage: loads the cross-built driver in Wine, with the
// memory manager of e2e/wine/ntoskrnl/ in winedevice, and drives it from two
// clients, the plain Win32 C client and the app's real Windows backend in
// Windows Node (node.exe + koffi's win32 binary).
//
//   1. a fresh Wine prefix (Windows 10, the memory manager) under dist/wine/
//   2. device absent: both clients must say "not installed"
//   3. install from inf/sharedmemory.inf with Wine's setupapi; check the files
//      and the service's registry entries the INF wrote
//   4. sc start SharedMemory; the C client's contract, lifecycle and shared
//      modes; sizes 1 B ... 64 MiB, close while holding, a process killed while
//      holding, a handle duplicated into another process (wine-scenarios.c);
//      the app's backend: the ABI, the error rows, the window's whole flow;
//      the fuzzer (driver/windows/tests/fuzz.c) for 30 s; streaming, every row
//      of the contract's section 5 (driver/windows/tests/stream-test.c).
//      After each: totals zero, the driver host still serving, no bug check
//   5. sc stop: the driver unloads with nothing left allocated
//   6. Parameters\MaxSizeMiB is honoured; an out-of-range value stops the load
//   7. the memory manager's own bug-check detectors fire on a deliberately
//      wrong driver (mm-self-test.mjs)
//
// Windows Node and koffi's win32 package are fetched from the npm registry with
// `npm pack` (pinned versions, checked against pinned sha512 integrity) into
// dist/wine/cache. Every Wine call is bounded in time; the wineserver is
// killed at the end. Output: ok/FAIL lines, then "windows-wine: N passed, N failed, N skipped".
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { runMmSelfTest } from './mm-self-test.mjs';
import { fetchWindowsNode, prepareNodeRunDirectory, winRun as winRunIn } from './windows-node.mjs';
import { BUGCHECK_MARKER, SERVICE_KEY, WinePrefix, buildClient, buildDriverPackage, buildWin32Program } from './wine-prefix.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const work = join(root, 'dist', 'wine');
const cache = join(work, 'cache');
const run = join(work, 'run'); // the Windows programs and their output files
const driverLog = join(work, 'driver.log');

const { values: options } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const prefix = new WinePrefix(join(work, 'prefix'), { commandLog: join(work, 'commands') });

let passed = 0;
let failed = 0;
let skipped = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passed++;
  else failed++;
  return ok;
}

const winRun = (name, commandLine, timeout) => winRunIn(prefix, run, name, commandLine, timeout);

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

async function buildPrograms() {
  const packageDir = buildDriverPackage();
  check(true, 'driver cross-built');
  mkdirSync(join(run, 'package'), { recursive: true });
  for (const f of ['sharedmemory.sys', 'sharedmemory.inf']) cpSync(join(packageDir, f), join(run, 'package', f));
  buildClient(run);
  check(true, 'C client built with mingw-w64');
  const programs = [
    [join(here, 'wine-scenarios.c'), 'wine-scenarios.exe', 'the multi-process scenarios'],
    [join(root, 'driver', 'windows', 'tests', 'fuzz.c'), 'fuzz.exe', 'the Windows fuzzer'],
    // Streaming (contract section 5): the Win32 stream client.
    [join(root, 'driver', 'windows', 'tests', 'stream-test.c'), 'stream-test.exe', 'the stream client (tests/stream-test.c)'],
  ];
  for (const [source, exe, what] of programs) {
    buildWin32Program(source, join(run, exe));
    check(true, `${what} built with mingw-w64`);
  }
  const tsc = prefix.run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')], { env: process.env, cwd: root, timeout: 300 });
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

const driverLogText = () => (existsSync(driverLog) ? readFileSync(driverLog, 'utf8') : '');
const bugchecks = () => driverLogText().split('\n').filter((l) => l.includes(BUGCHECK_MARKER));
const running = (state) => /STATE\s*:\s*4\s+RUNNING/.test(state);

/** QUERY from a fresh process: totals zero and the driver host still answering. */
function afterScenario(name) {
  const q = winRun(`query-after-${name}`, 'shm-client.exe query');
  const totals = q.output.match(/"totalBytes":(\d+),"allocations":(\d+)/);
  check(totals !== null && totals[1] === '0' && totals[2] === '0',
    `after ${name}: the driver host still serves QUERY, with totals zero (${q.output.trim()})`);
  const found = bugchecks();
  check(found.length === 0, `after ${name}: no ${BUGCHECK_MARKER} line in the driver log${found.length ? `:\n${found.join('\n')}` : ''}`);
}

async function main() {
  for (const tool of ['wine', 'wineserver', 'x86_64-w64-mingw32-gcc', 'clang', 'tar']) {
    if (prefix.run('bash', ['-c', `command -v ${tool}`], { env: process.env, cwd: root }).ok === false) {
      throw new Error(`${tool} is not installed (scripts/install-system-deps.sh installs it)`);
    }
  }
  rmSync(join(work, 'commands'), { recursive: true, force: true });
  rmSync(driverLog, { force: true });
  for (const line of fetchWindowsNode(prefix, cache)) check(true, line);
  prepareNodeRunDirectory(prefix, cache, run);
  await buildPrograms();
  const { wineVersion } = prefix.create();
  check(true, `fresh Wine prefix (${wineVersion}, Windows 10) with the memory manager for winedevice.exe`);

  // 2. No driver yet.
  const nodeVersion = winRun('node-version', 'node.exe --version', 60);
  check(/^v20\.20\.0$/m.test(nodeVersion.output), `Windows Node runs under Wine (${nodeVersion.output.trim() || nodeVersion.out.trim()})`);
  countSuite('wine-c-client-absent', winRun('c-absent', 'shm-client.exe absent').output);
  countSuite('wine-backend-absent', winRun('backend-absent', 'node.exe backend-suite.mjs absent').output);

  // 3. Install from the INF, as Windows' "Install" on the INF does.
  const install = prefix.installDriver(join(run, 'package'));
  check(install.ok, 'setupapi InstallHinfSection DefaultInstall.NTamd64 copied sharedmemory.sys to DIRID 13');
  const imagePath = prefix.regQuery(SERVICE_KEY, 'ImagePath');
  check(/sharedmemory\.sys/i.test(imagePath), `service ImagePath set: ${imagePath.match(/ImagePath\s+\S+\s+(.*)/)?.[1] ?? imagePath.trim()}`);
  check(/Type\s+REG_DWORD\s+0x1\b/.test(prefix.regQuery(SERVICE_KEY, 'Type')), 'service Type = 1 (kernel driver)');
  check(/Start\s+REG_DWORD\s+0x3\b/.test(prefix.regQuery(SERVICE_KEY, 'Start')), 'service Start = 3 (demand start)');
  check(/REG_DWORD\s+0x40\b/.test(prefix.regQuery(`${SERVICE_KEY}\\Parameters`, 'MaxSizeMiB')), 'Parameters\\MaxSizeMiB = 64 from the INF');
  check(/REG_DWORD\s+0x100\b/.test(prefix.regQuery(`${SERVICE_KEY}\\Parameters`, 'TotalCapMiB')), 'Parameters\\TotalCapMiB = 256 from the INF');

  // 4. Start it, and run everything against it.
  const started = prefix.startDriver(driverLog);
  if (!check(running(started.state), 'sc start SharedMemory: RUNNING')) {
    console.log(started.out, started.state, driverLogText());
    return;
  }
  check(/SharedMemory: DriverEntry: created \\Device\\SharedMemory and \\DosDevices\\SharedMemory/.test(driverLogText()),
    'driver log: DriverEntry created the device (with its DACL) and the link');
  const abi = winRun('abi', 'shm-client.exe abi > abi.json & type abi.json');
  check(abi.ok && existsSync(join(run, 'abi.json')), 'the C client printed the header\'s numbers');

  const scenarios = [
    ['c-contract', 'wine-c-client', 'shm-client.exe contract'],
    ['c-lifecycle', 'windows-lifecycle', 'shm-client.exe lifecycle'],
    ['c-shared', 'windows-shared-handle', 'shm-client.exe shared'],
    ['sizes', 'wine-sizes', 'wine-scenarios.exe sizes'],
    ['close', 'wine-close', 'wine-scenarios.exe close'],
    ['kill', 'wine-kill', 'wine-scenarios.exe kill'],
    ['duplicate', 'wine-duplicate', 'wine-scenarios.exe duplicate'],
    ['backend-contract', 'wine-backend', 'node.exe backend-suite.mjs contract abi.json'],
    ['backend-service', 'wine-backend-service', 'node.exe backend-suite.mjs service'],
    // 30 s of random IOCTLs, ReadFile, DuplicateHandle, reopens and holders killed
    // from 4 threads, some while inside their ALLOCATE.
    ['fuzz', 'windows-fuzz', 'fuzz.exe --seconds 30 --early-kills'],
    // Streaming (contract section 5): every row for Windows, with the rates,
    // drops and latencies seen.
    ['stream', 'windows-stream', 'stream-test.exe'],
  ];
  for (const [name, suite, commandLine] of scenarios) {
    const { output } = winRun(name, commandLine, 300);
    countSuite(suite, output);
    // The fuzzer's rate, for comparison with the Linux one's.
    for (const line of output.split('\n')) if (/^windows-fuzz: .* iterations in /.test(line)) console.log(`  recorded: ${line}`);
    for (const line of output.split('\n')) if (/^ {2}figures: /.test(line)) console.log(`  recorded: ${line.trim()}`);
    afterScenario(name);
  }
  // Wine queues IRP_MJ_CLOSE after CloseHandle returns: wait for the last ones.
  const lines = (text, pattern) => text.split('\n').filter((l) => pattern.test(l)).length;
  const handleCounts = (text) => [lines(text, /SharedMemory: CREATE: handle [0-9A-F]+ opened/), lines(text, /SharedMemory: CLOSE: handle [0-9A-F]+\s*$/)];
  for (let i = 0; i < 20; i++) {
    const [c, d] = handleCounts(driverLogText());
    if (c === d) break;
    prefix.run('sleep', ['0.5'], { env: process.env });
  }
  const log = driverLogText();
  for (const step of ['CREATE: handle', 'QUERY: 0 bytes in 0 allocations', 'CLOSE: handle', 'DEVICE_CONTROL: unknown code 0x800023FC',
    'ALLOCATE step 4: user address', 'RELEASE step 6: freed', 'CLOSE step 6: freed']) {
    check(log.includes(`SharedMemory: ${step}`), `driver log has "${step}"`);
  }
  const count = (step) => log.split(`SharedMemory: ${step}`).length - 1;
  const [creates, closes] = handleCounts(log);
  check(creates === closes, `every handle's context was freed: ${creates} CREATE, ${closes} CLOSE`);
  check(/unmapped \S+ from owner \S+ \(called from process/.test(log), 'driver log: a free from another process unmapped in the owner (KeStackAttachProcess)');
  // Recorded, not required: Wine 8 sends no IRP_MJ_CLEANUP to device drivers.
  console.log(`  recorded: ${count('CLEANUP: handle')} IRP_MJ_CLEANUP seen (Wine 8 does not send it; Windows does)`);

  // 5. Unload: every handle is closed, so nothing may be left.
  const stop = prefix.wine(['sc', 'stop', 'SharedMemory'], { timeout: 60 });
  check(stop.ok || /STOP_PENDING|STOPPED/.test(stop.out), 'sc stop SharedMemory');
  const unloaded = (() => {
    for (let i = 0; i < 20 && !/unloaded:/.test(driverLogText()); i++) prefix.run('sleep', ['0.5'], { env: process.env });
    return driverLogText().match(/SharedMemory: unloaded: .*/)?.[0] ?? '';
  })();
  check(/unloaded: 0 bytes in 0 allocations left/.test(unloaded), `driver unloaded cleanly ("${unloaded}")`);

  // 6. Registry settings: honoured, and refused when out of range.
  const setMax = (mib) => prefix.wine(['reg', 'add', `${SERVICE_KEY}\\Parameters`, '/v', 'MaxSizeMiB', '/t', 'REG_DWORD', '/d', String(mib), '/f'], { timeout: 60 });
  setMax(8);
  if (check(running(prefix.startDriver(driverLog).state), 'restarted with Parameters\\MaxSizeMiB = 8')) {
    const q = winRun('query-8', 'shm-client.exe query');
    check(/"maxSize":8388608\b/.test(q.output), `QUERY reports max_size 8 MiB (${q.output.trim()})`);
    const over = winRun('allocate-9', `shm-client.exe allocate ${9 << 20}`);
    check(/error 87,/.test(over.output), `ALLOCATE of 9 MiB is refused with 87 (${over.output.trim()})`);
    const at = winRun('allocate-8', `shm-client.exe allocate ${8 << 20}`);
    check(/error 0,/.test(at.output) && /first values 10 9 8 7 6 5 4 3 2 1/.test(at.output), 'ALLOCATE of 8 MiB succeeds');
  }
  setMax(0);
  const refused = prefix.startDriver(driverLog);
  check(!running(refused.state), 'MaxSizeMiB = 0 stops the driver from loading');
  check(/MaxSizeMiB 0 \(1\.\.2048\).*out of range/.test(driverLogText()), 'driver log says which setting is out of range');
  setMax(64);
  const found = bugchecks();
  check(found.length === 0, `the whole run: no ${BUGCHECK_MARKER} line in the driver log${found.length ? `:\n${found.join('\n')}` : ''}`);
  prefix.stopServer();

  // 7. The memory manager's detectors, proved on a driver that breaks each rule once.
  const selfTest = runMmSelfTest(prefix, join(work, 'mm-self-test'));
  for (const line of selfTest.checks) check(line.ok, line.what);
}

const started = Date.now();
try {
  await main();
} catch (error) {
  check(false, `the Wine run stopped: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  prefix.stopServer();
  if (!options.keep) rmSync(join(work, 'commands'), { recursive: true, force: true });
}
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s; driver log: dist/wine/driver.log)`);
console.log(`windows-wine: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
