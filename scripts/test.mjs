#!/usr/bin/env node
// Runs every test stage the README promises, in order, and prints one closing
// line: "total: N passed, N failed, N skipped".
//
// A stage is a command. If its output contains a line
//   "<word>: N passed, N failed[, N skipped]"
// (the last such line wins), its counts are added to the total; otherwise the
// stage counts as one check, passed or failed by its exit code.
//
//   npm test                       all stages
//   npm test -- --only unit,lint   just these stages
//   npm test -- --list             the stage names
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { stages } from './test-stages.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    skip: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const s of stages) console.log(`${s.name.padEnd(20)} ${s.description}`);
  process.exit(0);
}

const pick = (csv) => new Set(csv.split(',').map((n) => n.trim()).filter(Boolean));
const only = values.only ? pick(values.only) : null;
const skip = values.skip ? pick(values.skip) : new Set();
for (const name of [...(only ?? []), ...skip]) {
  if (!stages.some((s) => s.name === name)) {
    console.error(`test: unknown stage "${name}" (npm test -- --list shows them)`);
    process.exit(2);
  }
}

const COUNT_LINE = /^(?:[\w.-]+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm;

function run(stage) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('bash', ['-o', 'pipefail', '-c', stage.command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - started) / 1000;
      const matches = [...output.matchAll(COUNT_LINE)];
      const last = matches.at(-1);
      resolve({
        stage,
        ok: code === 0,
        exit: code ?? signal,
        seconds,
        counts: last
          ? { passed: +last[1], failed: +last[2], skipped: +(last[3] ?? 0) }
          : { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 },
      });
    });
  });
}

const results = [];
for (const stage of stages) {
  if ((only && !only.has(stage.name)) || skip.has(stage.name)) continue;
  console.log(`\n=== ${stage.name}: ${stage.description}\n$ ${stage.command}`);
  const r = await run(stage);
  // A stage that exits non-zero fails even if its own count line said 0 failed.
  if (!r.ok && r.counts.failed === 0) r.counts.failed = 1;
  results.push(r);
  console.log(`=== ${stage.name}: ${r.ok ? 'ok' : `FAILED (exit ${r.exit})`} in ${r.seconds.toFixed(1)} s`);
}

console.log('\nstage                 passed  failed skipped    time');
const total = { passed: 0, failed: 0, skipped: 0 };
for (const r of results) {
  for (const k of Object.keys(total)) total[k] += r.counts[k];
  console.log(
    `${r.stage.name.padEnd(20)} ${String(r.counts.passed).padStart(7)} ${String(r.counts.failed).padStart(7)}` +
      ` ${String(r.counts.skipped).padStart(7)} ${r.seconds.toFixed(1).padStart(6)} s${r.ok ? '' : '  FAILED'}`,
  );
}
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
