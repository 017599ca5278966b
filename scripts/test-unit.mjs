#!/usr/bin/env node
// The `unit` test stage: runs Vitest once and closes with the line
// "unit: N passed, N failed, N skipped" (counted from Vitest's JSON report),
// which scripts/test.mjs adds to the total.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'shm-vitest-'));
const report = join(dir, 'report.json');
try {
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
    { cwd: root, stdio: 'inherit' },
  );
  let counts;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    counts = {
      passed: json.numPassedTests,
      failed: json.numFailedTests + (r.status !== 0 && json.numFailedTests === 0 ? 1 : 0),
      skipped: json.numPendingTests + json.numTodoTests,
    };
  } catch {
    // No report: Vitest itself failed (bad config, syntax error); count that as a failure.
    counts = { passed: 0, failed: 1, skipped: 0 };
  }
  console.log(`unit: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  process.exitCode = r.status === 0 && counts.failed === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
