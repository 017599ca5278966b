#!/usr/bin/env node
// Runs Playwright (arguments pass through) and closes with one line for
// `npm test`: "e2e-web: N passed, N failed, N skipped", read from
// Playwright's JSON report. Skipped tests are listed with their reasons, so a
// skip is never mistaken for a pass.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const report = fileURLToPath(new URL('output/results.json', import.meta.url));
rmSync(report, { force: true });

const run = spawnSync('npx', ['--no-install', 'playwright', 'test', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
});

if (!existsSync(report)) {
  console.log(`e2e-web: Playwright wrote no report (exit ${run.status ?? run.signal})`);
  console.log('e2e-web: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const { stats, suites = [], errors = [] } = JSON.parse(readFileSync(report, 'utf8'));
const skipped = [];
const walk = (suite, path) => {
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) {
      if (t.status !== 'skipped') continue;
      const why = (t.annotations ?? []).find((a) => a.type === 'skip')?.description ?? 'no reason given';
      skipped.push(`[${t.projectName}] ${[...path, spec.title].join(' › ')}: ${why}`);
    }
  }
  for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
};
for (const s of suites) walk(s, [s.title]);
for (const line of skipped) console.log(`skipped ${line}`);
for (const e of errors) console.log(`error: ${e.message ?? JSON.stringify(e)}`);

// A flaky test passed only on a retry; retries are off, so count it as failed.
const failed = stats.unexpected + stats.flaky + errors.length;
const passed = stats.expected;
console.log(`e2e-web: ${passed} passed, ${failed} failed, ${stats.skipped} skipped`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
