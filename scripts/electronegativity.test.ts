// The Electronegativity check can fail: on an insecure main process it
// reports the findings and exits 1, and a baseline entry the scanner no
// longer reports fails too. (The app itself passes in the lint stage.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'shm-en-baseline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/electronegativity.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout };
}

describe('the Electronegativity check', () => {
  it('fails on a window without sandbox, context isolation or Auxclick disabled, naming the findings', () => {
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '[]');
    const r = check(['--input', 'scripts/fixtures/electronegativity-insecure', '--baseline', empty]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/UNEXPLAINED SANDBOX_JS_CHECK .*main\.js/);
    expect(r.out).toMatch(/UNEXPLAINED CONTEXT_ISOLATION_JS_CHECK/);
    expect(r.out).toMatch(/UNEXPLAINED AUXCLICK_JS_CHECK/);
    expect(r.out).toMatch(/electronegativity: \d+ findings, 0 explained in the baseline, [1-9]\d* unexplained/);
  });

  it('fails on a stale baseline entry, so explanations cannot outlive their finding', () => {
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, JSON.stringify([{ check: 'NODE_INTEGRATION_JS_CHECK', file: 'electron/main.ts', reason: 'once true' }]));
    const r = check(['--input', 'preload', '--baseline', stale]);
    expect(r.out).toContain('STALE       NODE_INTEGRATION_JS_CHECK electron/main.ts');
    expect(r.status).toBe(1);
  });
});
