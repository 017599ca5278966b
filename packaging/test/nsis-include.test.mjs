// build/installer.nsh compiled by Debian's makensis inside a wrapper that
// gives it what electron-builder's template does (fixtures/nsis-wrapper.nsi),
// as installer and as uninstaller, warnings as errors, as electron-builder
// compiles. A deliberately broken copy must fail, so the check can fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { root } from './paths.mjs';

const include = join(root, 'build/installer.nsh');
const wrapper = join(root, 'packaging/test/fixtures/nsis-wrapper.nsi');
const work = mkdtempSync(join(tmpdir(), 'shm-nsis-'));
after(() => rmSync(work, { recursive: true, force: true }));

function makensis(includeFile, { uninstaller = false } = {}) {
  const out = join(work, `${uninstaller ? 'uninstaller' : 'installer'}-${Math.random().toString(36).slice(2)}.exe`);
  const args = ['-WX', '-V2', '-INPUTCHARSET', 'UTF8', `-DINCLUDE_FILE=${includeFile}`, `-DOUT_FILE=${out}`];
  if (uninstaller) args.push('-DBUILD_UNINSTALLER');
  const r = spawnSync('makensis', [...args, wrapper], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`makensis could not run (apt-get install nsis): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`, out };
}

function brokenCopy(name, edit) {
  const text = readFileSync(include, 'utf8');
  const broken = edit(text);
  assert.notEqual(broken, text, `the ${name} edit changed nothing`);
  const file = join(work, `${name}.nsh`);
  writeFileSync(file, broken);
  return file;
}

test('installer.nsh compiles into the installer (customInstall), warnings as errors', () => {
  const r = makensis(include);
  assert.equal(r.status, 0, r.output);
  assert.ok(statSync(r.out).size > 10_000, 'an installer .exe was written');
});

test('installer.nsh compiles into the uninstaller (customUnInstall), warnings as errors', () => {
  const r = makensis(include, { uninstaller: true });
  assert.equal(r.status, 0, r.output);
});

test('a syntax error in a copy fails the compile (unbalanced LogicLib block)', () => {
  const file = brokenCopy('syntax', (t) => t.replace(/\n\s*\$\{EndIf\}\n(\s*Pop \$3)/, '\n$1'));
  const r = makensis(file);
  assert.notEqual(r.status, 0, 'makensis accepted a broken script');
  assert.match(r.output, /Error|error/);
});

test('a call of an undefined macro in a copy fails the compile', () => {
  const file = brokenCopy('macro', (t) => t.replace('!insertmacro _shmStartService', '!insertmacro _shmStartServiceTypo'));
  const r = makensis(file);
  assert.notEqual(r.status, 0, 'makensis accepted an undefined macro');
  assert.match(r.output, /_shmStartServiceTypo/);
});

test('the uninstaller build catches errors in customUnInstall too', () => {
  const file = brokenCopy('uninstall', (t) => t.replace(/(!macro customUnInstall[\s\S]*?)\$\{EndIf\}/, '$1'));
  const r = makensis(file, { uninstaller: true });
  assert.notEqual(r.status, 0, 'makensis accepted a broken uninstaller');
});

test('the driver steps: redirection off, pnputil + sc with exit codes, test-signing help, clean replace', () => {
  const t = readFileSync(include, 'utf8');
  const body = (name) => t.slice(t.indexOf(`!macro ${name}\n`), t.indexOf('!macroend', t.indexOf(`!macro ${name}\n`)));
  const install = body('customInstall');
  const uninstall = body('customUnInstall');
  // System32 is touched only with WOW64 redirection off, and it is turned back on.
  for (const m of [install, uninstall]) {
    assert.ok(m.indexOf('${DisableX64FSRedirection}') < m.indexOf('!insertmacro _shmRemoveDriver'));
    assert.ok(m.includes('${EnableX64FSRedirection}'));
  }
  // Install removes what an older version left before adding the new package.
  assert.ok(install.indexOf('_shmRemoveDriver') < install.indexOf('_shmAddDriverPackage'));
  assert.match(t, /pnputil\.exe" \/add-driver "\$\{SHM_DRIVER_DIR\}\\\$\{SHM_INF\}" \/install/);
  assert.match(t, /\/delete-driver \$2 \/uninstall/);
  assert.match(t, /"stop \$\{SHM_SERVICE\}"/);
  assert.match(t, /"delete \$\{SHM_SERVICE\}"/);
  assert.match(t, /bcdedit \/set testsigning on/);
  assert.match(t, /SHM_ERROR_INVALID_IMAGE_HASH 577/);
  // Every MessageBox answers itself in silent installs.
  const boxes = t.match(/MessageBox [^\n]*/g);
  assert.ok(boxes.length >= 10);
  for (const b of boxes) assert.match(b, /\/SD IDOK$/, b);
});
