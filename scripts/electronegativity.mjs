#!/usr/bin/env node
// Doyensec's Electronegativity (the Electron security scanner) over the code
// the app ships: electron/, preload/ and renderer/ (tests and test helpers
// left out). Every finding must be fixed or explained in the checked-in
// baseline (security/electronegativity-baseline.json: check, file, and why it
// does not apply); an unexplained finding fails, and so does a baseline entry
// the scanner no longer reports, so the baseline cannot go stale.
//
//   node scripts/electronegativity.mjs [--input DIR]... [--baseline FILE]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    input: { type: 'string', multiple: true, default: ['electron', 'preload', 'renderer'] },
    baseline: { type: 'string', default: join(root, 'security', 'electronegativity-baseline.json') },
  },
});

const shipped = (path) => !/\.test\.tsx?$|[\\/]testing([\\/]|$)|README\.md$/.test(path);
const electronVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron;

// One scan over all inputs together: its global checks (CSP, navigation
// limits, permission handler) look across files, as over one app.
const scanDir = mkdtempSync(join(tmpdir(), 'shm-electronegativity-'));
const sarif = join(scanDir, 'results.sarif');
let findings;
try {
  for (const input of values.input) {
    const from = join(root, input);
    cpSync(from, join(scanDir, 'app', basename(from)), { recursive: true, filter: (p) => shipped(relative(from, p)) });
  }
  const bin = join(root, 'node_modules', '.bin', 'electronegativity');
  const run = spawnSync(bin, ['-i', join(scanDir, 'app'), '-o', sarif, '-r', '-v', 'false', '-e', electronVersion], {
    encoding: 'utf8',
    // No update checks or translation downloads: this machine may be offline.
    env: { ...process.env, NO_UPDATE_NOTIFIER: '1' },
  });
  if (run.status !== 0 || !existsSync(sarif)) {
    console.error(run.stdout, run.stderr);
    console.log(`electronegativity: the scanner failed (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(sarif, 'utf8'));
  findings = report.runs.flatMap((r) =>
    r.results.map((result) => ({
      check: result.ruleId,
      file: (result.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '').replace(/^file:\/\/\/?/, '') || '(global)',
      line: result.locations?.[0]?.physicalLocation?.region?.startLine ?? 0,
      level: result.level,
      message: result.message?.text ?? '',
    })),
  );
} finally {
  rmSync(scanDir, { recursive: true, force: true });
}

const baseline = existsSync(values.baseline) ? JSON.parse(readFileSync(values.baseline, 'utf8')) : [];
const key = (f) => `${f.check} ${f.file}`;
const explained = new Map(baseline.map((b) => [key(b), b]));
const unexplained = findings.filter((f) => !explained.has(key(f)));
const found = new Set(findings.map(key));
const stale = baseline.filter((b) => !found.has(key(b)));

for (const f of findings) {
  const why = explained.get(key(f));
  console.log(`${why ? 'explained  ' : 'UNEXPLAINED'} ${f.check} (${f.level}) ${f.file}:${f.line} ${why ? `— ${why.reason}` : `— ${f.message}`}`);
}
for (const b of stale) console.log(`STALE       ${b.check} ${b.file}: in the baseline, no longer reported; remove it`);
console.log(
  `electronegativity: ${findings.length} findings, ${findings.length - unexplained.length} explained in the baseline, ` +
    `${unexplained.length} unexplained, ${stale.length} stale baseline entries`,
);
process.exit(unexplained.length === 0 && stale.length === 0 ? 0 : 1);
