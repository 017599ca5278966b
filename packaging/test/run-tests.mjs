#!/usr/bin/env node
// Runs test files with node:test and closes with one line the project's test
// runner adds up: "<label>: N passed, N failed, N skipped".
//
//   node packaging/test/run-tests.mjs --label packaging file.test.mjs...
import { run } from 'node:test';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { label: { type: 'string', default: 'tests' } },
});
if (positionals.length === 0) {
  console.error('usage: run-tests.mjs --label NAME file.test.mjs...');
  process.exit(2);
}

const counts = { passed: 0, failed: 0, skipped: 0 };
// One file at a time: several of these start compilers, dpkg or a VM.
const stream = run({ files: positionals.map((f) => resolve(f)), concurrency: 1 });

for await (const event of stream) {
  const { type, data } = event;
  if (type === 'test:stdout' || type === 'test:stderr') {
    process.stdout.write(data.message);
    continue;
  }
  if (type !== 'test:pass' && type !== 'test:fail') continue;
  // Count the tests themselves, not the files that hold them (whose
  // details.type is "suite" only for describe blocks, and which node:test
  // reports at nesting 0 with a file name).
  if (data.details?.type === 'suite' || data.name === data.file) continue;
  const ms = data.details?.duration_ms?.toFixed(0) ?? '?';
  if (data.skip !== undefined && data.skip !== false) {
    counts.skipped++;
    console.log(`skip ${data.name}: ${typeof data.skip === 'string' ? data.skip : 'skipped'}`);
  } else if (type === 'test:pass') {
    counts.passed++;
    console.log(`ok   ${data.name} (${ms} ms)`);
  } else {
    counts.failed++;
    const error = data.details?.error;
    const cause = error?.cause ?? error;
    console.log(`FAIL ${data.name} (${ms} ms)\n${String(cause?.stack ?? cause?.message ?? cause).replace(/^/gm, '     ')}`);
  }
}

console.log(`${values.label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exitCode = counts.failed > 0 ? 1 : 0;
