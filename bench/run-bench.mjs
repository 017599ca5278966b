#!/usr/bin/env node
// SharedMemory benchmarks on a real kernel: boots the Linux module under QEMU
// (e2e/vm/), runs the native and Node benches in one boot, then the browser-
// mode UI round trip with the simulated driver (host) and the VM driver (server
// in the guest, port forwarded), and writes the results, a table and plots.
//
//   npm run bench          full profile: bench/results.json, bench/plots/*.svg,
//                          the table in bench/README.md
//   npm run bench:quick    quick profile into bench/output/quick/ (the
//                          bench-quick test stage): same paths, few iterations,
//                          checks the output and prints "bench-quick: N passed, ..."
//
// Options: --profile full|quick, --out-dir DIR, --no-ui (skip part 4).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, release } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startVm, MODULE_PATH, PROJECT_ROOT } from '../e2e/vm/vm.mjs';
import { buildBench } from './build.mjs';
import { PROFILES } from './lib/profiles.mjs';
import { buildResults } from './lib/summarize.mjs';
import { renderOutputs, updateReadme, writeOutputs } from './lib/write-outputs.mjs';
import { validateResults } from './lib/validate.mjs';
import { cliTest, selfTest, validatorTest } from './lib/self-test.mjs';
import { measureStreamFrameTimes, measureUiRoundTrip } from './ui-bench.mjs';
import { machineState, stringOpFlags } from './lib/machine-state.mjs';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'full' },
    'out-dir': { type: 'string' },
    'no-ui': { type: 'boolean', default: false },
  },
});
const profileName = values.profile;
const profile = PROFILES[profileName];
if (!profile) {
  console.error(`bench: --profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  process.exit(2);
}
const label = profileName === 'quick' ? 'bench-quick' : 'bench';
const outDir = resolve(PROJECT_ROOT, values['out-dir'] ?? (profileName === 'full' ? 'bench' : 'bench/output/quick'));
const workDir = resolve(PROJECT_ROOT, 'bench/output', `${profileName}-guest`);
const wantUi = !values['no-ui'];
const SERVER = join(PROJECT_ROOT, 'dist/server/server.js');
const GUEST_UI_PORT = 8080;
const UI_LINE = /SharedMemory web UI: (http:\/\/\S+)/;

const started = Date.now();
const loadAtStart = loadavg()[0];
const log = (msg) => console.log(`${label}: ${msg}`);

function npmRun(script) {
  log(`npm run ${script}`);
  execFileSync('npm', ['run', '--silent', script], { cwd: PROJECT_ROOT, stdio: 'inherit' });
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Where the built UI is served from; missing means browser mode cannot run yet. */
function uiMissing() {
  if (!wantUi) return 'disabled with --no-ui';
  if (!existsSync(SERVER)) {
    try {
      npmRun('build');
    } catch {
      return 'npm run build failed, so dist/server/server.js is missing';
    }
  }
  return existsSync(SERVER) ? null : 'dist/server/server.js is missing after npm run build';
}

/** Starts the browser-mode server on the host with the simulated driver. */
async function hostServer() {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER, '--port', String(port), '--backend', 'simulated'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((res, rej) => {
    const onData = (d) => {
      output += d;
      const m = output.match(UI_LINE);
      if (m) res(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`the simulated server exited (${code}) before it was ready: ${output.trim()}`)));
    setTimeout(() => rej(new Error(`the simulated server printed no URL within 30 s: ${output.trim()}`)), 30_000);
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

function hostEnvironment() {
  const qemu = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).match(/version (\S+)/)?.[1] ?? 'unknown';
  return {
    accelerator: 'tcg',
    qemu,
    vm: { memoryMiB: profile.guestMemoryMiB, cpus: 2, cpuModel: 'max' },
    host: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cpuCount: cpus().length,
      stringOpFlags: stringOpFlags(readFileSync('/proc/cpuinfo', 'utf8')),
      ...machineState(),
      kernel: release(),
      node: process.version,
      // Other work on the host slows the emulated guest: the 1-minute load at the start and end of the run.
      loadAverage: { start: loadAtStart, end: loadavg()[0] },
    },
  };
}

async function main() {
  const selfChecks = selfTest();
  const broken = selfChecks.filter((c) => !c.ok);
  if (broken.length) throw new Error(`the bench's own arithmetic is wrong: ${broken.map((c) => `${c.name} (${c.detail})`).join('; ')}`);
  await buildBench();
  selfChecks.push(...cliTest(join(PROJECT_ROOT, 'dist/bench/shm-bench'), join(PROJECT_ROOT, 'dist/bench/node-bench.mjs')));
  if (!existsSync(MODULE_PATH)) npmRun('build:driver:linux');
  const uiSkip = uiMissing();

  mkdirSync(outDir, { recursive: true });
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const rawFile = join(workDir, 'guest-raw.json');

  const ui = {};
  if (uiSkip) {
    ui.simulated = { skipped: uiSkip };
    ui.vm = { skipped: uiSkip };
    ui.streamFrames = { skipped: uiSkip };
  } else {
    const server = await hostServer();
    try {
      log(`UI round trip, simulated driver: ${profile.ui.clicks} clicks`);
      ui.simulated = await measureUiRoundTrip({ url: server.url, ...profile.ui, backendLabel: 'simulated' });
      // Part 5's window: the simulated driver, since the emulated guest cannot produce 1,000,000 records/s.
      log(`Frame times while streaming ${profile.uiStream.rateHz} records/s, simulated driver: ${profile.uiStream.seconds} s`);
      ui.streamFrames = await measureStreamFrameTimes({ url: server.url, ...profile.uiStream, backendLabel: 'simulated' });
    } finally {
      server.stop();
    }
  }

  const hostPort = await freePort();
  const benchCmd = `node bench/guest-run.mjs --profile ${profileName} --out '${rawFile}'`;
  // The browser opens the forward's host side; the server answers only Host names it is told about.
  const serverCmd =
    `exec node dist/server/server.js --backend linux --host 0.0.0.0 --port ${GUEST_UI_PORT} ` +
    `--allow-host 127.0.0.1:${hostPort}`;
  const m = profile.module;
  log(`booting the VM (${profile.guestMemoryMiB} MiB, module max_size ${m.maxSizeMiB} MiB, total cap ${m.totalCapMiB} MiB)`);
  const vm = await startVm({
    guestCommand: uiSkip ? benchCmd : `${benchCmd} && ${serverCmd}`,
    outputDir: workDir,
    forwardPorts: uiSkip ? [] : [{ host: hostPort, guest: GUEST_UI_PORT }],
    memoryMiB: profile.guestMemoryMiB,
    timeoutSeconds: profile.timeoutSeconds,
    moduleParams: moduleParams(m),
    onOutput: (line) => console.log(`  guest| ${line}`),
  });
  let vmResult;
  try {
    if (!uiSkip) {
      const line = await vm.waitForOutput(UI_LINE, profile.timeoutSeconds * 1000);
      const token = new URL(line.match(UI_LINE)[1]).searchParams.get('token');
      log(`UI round trip, Linux module in the VM: ${profile.ui.clicks} clicks`);
      ui.vm = await measureUiRoundTrip({ url: `http://127.0.0.1:${hostPort}/?token=${token}`, ...profile.ui, backendLabel: 'linux (VM)' });
      await vm.stop();
    }
    vmResult = await vm.result;
  } finally {
    await vm.stop();
  }
  if (!existsSync(rawFile))
    throw new Error(`the guest wrote no results (guest exit ${vmResult.exitCode}${vmResult.timedOut ? ', timed out' : ''})`);
  if (uiSkip && vmResult.exitCode !== 0) throw new Error(`the guest bench failed with exit code ${vmResult.exitCode}`);

  const raw = JSON.parse(readFileSync(rawFile, 'utf8'));
  const meta = {
    date: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    environment: hostEnvironment(),
    kernelProblems: vmResult.kernelProblems,
  };
  // Kept beside the guest's raw timings, so bench/render-results.mjs --raw can
  // summarise this run again.
  writeFileSync(join(workDir, 'ui-raw.json'), JSON.stringify(ui));
  writeFileSync(join(workDir, 'meta.json'), JSON.stringify(meta));
  const results = buildResults({ raw, ui, meta });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const rendered = renderOutputs(results);
  const written = writeOutputs(outDir, rendered);
  if (profileName === 'full' && !values['out-dir']) updateReadme(join(PROJECT_ROOT, 'bench/README.md'), rendered.table);
  console.log(`\n${rendered.table}\n`);
  log(`wrote ${[join(outDir, 'results.json'), ...written].join(', ')}`);

  const checks = [...selfChecks, ...validateResults(results, { svgs: rendered.svgs }), ...validatorTest(results, rendered.svgs)];
  for (const c of checks)
    console.log(`${c.skipped ? 'skip' : c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.skipped ? ` (${c.skipped})` : c.detail && !c.ok ? `: ${c.detail}` : ''}`);
  const passed = checks.filter((c) => c.ok).length;
  const skipped = checks.filter((c) => c.skipped).length;
  const failed = checks.length - passed - skipped;
  console.log(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed === 0;
}

/** The module's parameters (driver/linux/sharedmemory.c), in MiB. */
function moduleParams({ maxSizeMiB, totalCapMiB }) {
  return `max_size_mib=${maxSizeMiB} total_cap_mib=${totalCapMiB}`;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    console.error(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    console.log(`${label}: 0 passed, 1 failed, 0 skipped`);
    process.exit(1);
  },
);
