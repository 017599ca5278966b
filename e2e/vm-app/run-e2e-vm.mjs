#!/usr/bin/env node
// The `e2e-vm` test stage: builds what the guest runs (the app's bundles and
// the kernel module), type-checks the test, runs the Playwright project `vm`
// (the window in Chromium on this machine, the server and the driver in a
// QEMU guest), and prints one closing line "e2e-vm: N passed, N failed,
// N skipped" from Playwright's JSON report. Exits non-zero on any failure, including errors outside a test
// (for example a kernel problem found when the guest powers off).
//
//   node e2e/vm-app/run-e2e-vm.mjs [--no-build] [-- <extra playwright args>]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');
const outputDir = path.join(root, 'e2e/output/vm-app');
const reportFile = path.join(outputDir, 'playwright-report.json');
// Bounds the whole stage; the guest has its own, shorter, idle guard.
const STAGE_LIMIT_MS = 20 * 60_000;

const { values, positionals } = parseArgs({
  options: { 'no-build': { type: 'boolean', default: false } },
  allowPositionals: true,
});

function run(command, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env, detached: true });
    const timer = setTimeout(() => {
      console.error(`e2e-vm: ${command} ${args.join(' ')} ran past ${STAGE_LIMIT_MS / 60_000} min; stopping it`);
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
  console.log(`e2e-vm: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code);
}

mkdirSync(outputDir, { recursive: true });
if (!values['no-build']) {
  for (const script of ['build', 'build:driver:linux']) {
    const code = await run('npm', ['run', '--silent', script]);
    if (code !== 0) {
      console.error(`e2e-vm: npm run ${script} failed (exit ${code})`);
      report(0, 1, 0, 1);
    }
  }
}

// The test's own TypeScript (e2e/ is outside the app's typecheck projects).
const typecheck = await run(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'e2e/vm-app/tsconfig.json']);
if (typecheck !== 0) {
  console.error('e2e-vm: tsc -p e2e/vm-app/tsconfig.json failed');
  report(0, 1, 0, 1);
}

rmSync(reportFile, { force: true });
const code = await run(
  path.join(root, 'node_modules/.bin/playwright'),
  ['test', '--project', 'vm', '--reporter', 'list,json', ...positionals],
  { ...process.env, SHAREDMEMORY_E2E_VM: '1', PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile },
);

let stats;
let errors = [];
try {
  const json = JSON.parse(readFileSync(reportFile, 'utf8'));
  stats = json.stats;
  errors = json.errors ?? [];
} catch (error) {
  console.error(`e2e-vm: no Playwright JSON report (${error.message})`);
  report(0, 1, 0, 1);
}
// Errors outside any test (worker teardown, global setup) count as a failure.
const failed = stats.unexpected + stats.flaky + (errors.length > 0 ? 1 : 0);
const passed = stats.expected;
if (code !== 0 && failed === 0) report(passed, 1, stats.skipped, code);
report(passed, failed, stats.skipped, code === 0 && failed === 0 ? 0 : 1);
