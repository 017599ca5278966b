#!/usr/bin/env node
// The test stages that run the window on a real kernel driver: builds what
// the target runs, type-checks the test, runs the target's Playwright project
// (the window in Chromium on this machine), and prints one closing line
// "<stage>: N passed, N failed, N skipped" from Playwright's JSON report.
// Exits non-zero on any failure, including errors outside a test (for example
// a kernel problem found when the guest powers off).
//
//   node e2e/run-real-driver-e2e.mjs --target vm|wine [--no-build] [-- <extra playwright args>]
//
//   vm    e2e-vm: the server and the Linux module in a QEMU guest (e2e/vm-app/)
//   wine  e2e-wine: the server in Windows Node and the Windows driver under Wine
//         with the memory manager (e2e/wine-app/)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
// Bounds the whole stage; the guest has its own, shorter, idle guard.
const STAGE_LIMIT_MS = 20 * 60_000;

const TARGETS = {
  vm: { stage: 'e2e-vm', builds: ['build', 'build:driver:linux'], dir: 'vm-app', env: 'SHAREDMEMORY_E2E_VM' },
  wine: { stage: 'e2e-wine', builds: ['build', 'build:driver:windows'], dir: 'wine-app', env: 'SHAREDMEMORY_E2E_WINE' },
};

const { values, positionals } = parseArgs({
  options: { target: { type: 'string' }, 'no-build': { type: 'boolean', default: false } },
  allowPositionals: true,
});
const target = TARGETS[values.target ?? ''];
if (!target) {
  console.error(`usage: run-real-driver-e2e.mjs --target ${Object.keys(TARGETS).join('|')} [--no-build] [-- <playwright args>]`);
  process.exit(2);
}
const outputDir = path.join(root, 'e2e/output', target.dir);
const reportFile = path.join(outputDir, 'playwright-report.json');

function run(command, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env, detached: true });
    const timer = setTimeout(() => {
      console.error(`${target.stage}: ${command} ${args.join(' ')} ran past ${STAGE_LIMIT_MS / 60_000} min; stopping it`);
      process.kill(-child.pid, 'SIGTERM');
      setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } }, 15_000).unref();
    }, STAGE_LIMIT_MS);
    // Passes an interrupt on to the whole group (Playwright, its workers, QEMU).
    const forward = (signal) => { try { process.kill(-child.pid, signal); } catch { /* gone */ } };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

function report(passed, failed, skipped, code) {
  console.log(`${target.stage}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code);
}

mkdirSync(outputDir, { recursive: true });
if (!values['no-build']) {
  for (const script of target.builds) {
    const code = await run('npm', ['run', '--silent', script]);
    if (code !== 0) {
      console.error(`${target.stage}: npm run ${script} failed (exit ${code})`);
      report(0, 1, 0, 1);
    }
  }
}

// The test's own TypeScript (e2e/ is outside the app's typecheck projects).
const typecheck = await run(path.join(root, 'node_modules/.bin/tsc'), ['-p', `e2e/${target.dir}/tsconfig.json`]);
if (typecheck !== 0) {
  console.error(`${target.stage}: tsc -p e2e/${target.dir}/tsconfig.json failed`);
  report(0, 1, 0, 1);
}

rmSync(reportFile, { force: true });
const code = await run(
  path.join(root, 'node_modules/.bin/playwright'),
  ['test', '--project', values.target, '--reporter', 'list,json', ...positionals],
  { ...process.env, [target.env]: '1', PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile },
);

let stats;
let errors = [];
try {
  const json = JSON.parse(readFileSync(reportFile, 'utf8'));
  stats = json.stats;
  errors = json.errors ?? [];
} catch (error) {
  console.error(`${target.stage}: no Playwright JSON report (${error.message})`);
  report(0, 1, 0, 1);
}
// Errors outside any test (worker teardown, global setup) count as a failure.
const failed = stats.unexpected + stats.flaky + (errors.length > 0 ? 1 : 0);
const passed = stats.expected;
if (code !== 0 && failed === 0) report(passed, 1, stats.skipped, code);
report(passed, failed, stats.skipped, code === 0 && failed === 0 ? 0 : 1);
