// The sharedmemory-dkms package for real, on this Debian machine:
// built with dpkg-deb, installed with dpkg (its postinst creates the group and
// has DKMS build the module against the installed linux-headers), rebuilt
// explicitly for that kernel (`dkms build -k <ver>`), then the module DKMS
// built is loaded with modprobe in the test VM (the same Debian kernel, booted
// under QEMU) and the Linux C client's basic scenarios run against it. Finally
// the package is purged and the machine is checked clean.
// Needs root (dpkg, dkms): the project's CI runs as root.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { startVm } from '../../e2e/vm/vm.mjs';
import { kernelVersion } from '../../driver/linux/scripts/kernel-version.mjs';
import { root } from './paths.mjs';

const PACKAGE = 'sharedmemory-dkms';
const conf = readFileSync(join(root, 'driver/linux/dkms.conf'), 'utf8');
const VERSION = /^PACKAGE_VERSION="?([^"\n]+)"?$/m.exec(conf)?.[1];
const skip = process.getuid?.() !== 0 ? 'installing a package needs root (the project CI runs as root)' : false;

const sh = (cmd, args, options = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, ...options });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '', error: r.error };
};
const installed = () => sh('dpkg-query', ['-W', '-f=${Status}', PACKAGE]).stdout.includes('install ok installed');
const groupExists = () => sh('getent', ['group', 'sharedmemory']).status === 0;

let kernel;
let moduleFile;
let deb;
let work;
const before_ = { group: false, mokKey: false };

before(() => {
  if (skip) return;
  kernel = kernelVersion();
  moduleFile = `/lib/modules/${kernel}/updates/dkms/sharedmemory.ko`;
  // A run that died half-way may have left the package installed.
  if (installed()) sh('dpkg', ['--purge', PACKAGE]);
  before_.group = groupExists();
  before_.mokKey = existsSync('/var/lib/dkms/mok.key');
  // Under the project (gitignored out/): the VM sees the host's / read-only
  // and mounts this directory read-write.
  mkdirSync(join(root, 'out'), { recursive: true });
  work = mkdtempSync(join(root, 'out', 'dkms-test-'));
});

after(() => {
  if (skip) return;
  if (installed()) sh('dpkg', ['--purge', PACKAGE]);
  // Leave the machine as it was: the group (which Debian packages keep on
  // purge) and the DKMS signing key, if this test created them.
  if (!before_.group && groupExists()) sh('groupdel', ['sharedmemory']);
  if (!before_.mokKey) rmSync('/var/lib/dkms/mok.key', { force: true }), rmSync('/var/lib/dkms/mok.pub', { force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

test('npm run package:dkms builds a well-formed .deb', { skip }, () => {
  const r = sh('npm', ['run', '--silent', 'package:dkms', '--', work], { cwd: root });
  assert.equal(r.status, 0, r.output);
  deb = r.stdout.trim().split('\n').at(-1);
  assert.equal(deb, join(work, `${PACKAGE}_${VERSION}-1_all.deb`));
  const fields = sh('dpkg-deb', ['--field', deb]).stdout;
  assert.match(fields, new RegExp(`^Package: ${PACKAGE}$`, 'm'));
  assert.match(fields, new RegExp(`^Version: ${VERSION}-1$`, 'm'));
  assert.match(fields, /^Depends: dkms/m);
  const contents = sh('dpkg-deb', ['--contents', deb]).stdout;
  for (const path of [
    `./usr/src/sharedmemory-${VERSION}/dkms.conf`,
    `./usr/src/sharedmemory-${VERSION}/sharedmemory.c`,
    `./usr/src/sharedmemory-${VERSION}/Kbuild`,
    `./usr/src/sharedmemory-${VERSION}/include/sharedmemory_ioctl.h`,
    './lib/udev/rules.d/99-sharedmemory.rules',
    './usr/lib/modules-load.d/sharedmemory.conf',
  ]) {
    assert.ok(contents.includes(` ${path}\n`), `${path} in the package:\n${contents}`);
  }
  assert.ok(contents.split('\n').filter(Boolean).every((l) => l.includes(' root/root ')), 'every file is root-owned');
  const control = sh('dpkg-deb', ['--info', deb]).stdout;
  assert.match(control, /\*\s+postinst/, 'postinst is executable');
  assert.match(control, /\*\s+prerm/, 'prerm is executable');
});

test('dpkg -i: group, udev rule, and DKMS builds and installs the module for the installed kernel', { skip }, () => {
  assert.ok(deb, 'the package was built');
  const r = sh('dpkg', ['-i', deb]);
  assert.equal(r.status, 0, r.output);
  assert.ok(installed());
  assert.ok(groupExists(), 'group sharedmemory created');
  assert.ok(existsSync('/lib/udev/rules.d/99-sharedmemory.rules'));
  const status = sh('dkms', ['status', '-m', 'sharedmemory', '-v', VERSION, '-k', kernel]).stdout;
  assert.match(status, new RegExp(`sharedmemory/${VERSION}, ${kernel}, x86_64: installed`), `${status}\n${r.output}`);
  assert.ok(existsSync(moduleFile), `${moduleFile}\n${r.output}`);
  // modprobe's own lookup finds DKMS's module (depmod ran).
  assert.equal(sh('modinfo', ['-k', kernel, '-n', 'sharedmemory']).stdout.trim(), moduleFile);
});

test(`dkms build -k <kernel> rebuilds it explicitly against that kernel's headers`, { skip }, () => {
  const build = sh('dkms', ['build', '-m', 'sharedmemory', '-v', VERSION, '-k', kernel, '--force']);
  assert.equal(build.status, 0, build.output);
  const install = sh('dkms', ['install', '-m', 'sharedmemory', '-v', VERSION, '-k', kernel, '--force']);
  assert.equal(install.status, 0, install.output);
  assert.equal(sh('modinfo', ['-k', kernel, '-F', 'vermagic', 'sharedmemory']).stdout.split(' ')[0], kernel);
});

test('in the VM, the app\'s driver service finds the DKMS module stopped and starts it; the C client\'s basic scenarios pass on it', { skip, timeout: 420_000 }, async () => {
  const srcversion = sh('modinfo', ['-F', 'srcversion', moduleFile]).stdout.trim();
  assert.match(srcversion, /^[0-9A-F]+$/);
  const client = join(work, 'client-test');
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-I', join(root, 'driver/include'), '-o', client,
    join(root, 'driver/linux/tests/client-test.c'), '-lpthread']);
  // The app's own Linux DriverServiceControl, bundled for the guest's node.
  const probe = join(work, 'driver-service-probe.mjs');
  await build({
    entryPoints: [join(root, 'packaging/test/fixtures/linux-driver-service-probe.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: probe, logLevel: 'error',
  });
  const scenarios = ['query reports', 'seeded 10..1', 'user write is what INSPECT', 'group sharedmemory admitted'];
  // No udevd in the guest: apply what the package's udev rule says by hand.
  const guestCommand = [
    'set -e',
    `node ${probe} status`,
    `node ${probe} start`,
    'echo "guest: loaded $(modinfo -n sharedmemory) srcversion=$(cat /sys/module/sharedmemory/srcversion)"',
    'chgrp sharedmemory /dev/sharedmemory && chmod 0660 /dev/sharedmemory',
    ...scenarios.map((s) => `${client} '${s}'`),
    'modprobe -r sharedmemory',
    'test ! -e /sys/module/sharedmemory && echo "guest: unloaded"',
    `node ${probe} status`,
  ].join('\n');
  let output = '';
  const vm = await startVm({ guestCommand, outputDir: work, loadModule: false, timeoutSeconds: 360, onOutput: (line) => { output += `${line}\n`; } });
  const result = await vm.result;
  assert.equal(result.exitCode, 0, output);
  assert.deepEqual(result.kernelProblems, [], output);
  assert.ok(output.includes(`guest: loaded ${moduleFile} srcversion=${srcversion}`), `the guest ran the module DKMS built:\n${output}`);
  const counts = [...output.matchAll(/^client: (\d+) passed, (\d+) failed/gm)];
  assert.equal(counts.length, scenarios.length, output);
  for (const [, passed, failed] of counts) assert.deepEqual([passed, failed], ['1', '0'], output);
  assert.match(output, /guest: unloaded/);
  const states = [...output.matchAll(/^probe: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]));
  assert.equal(states.length, 3, output);
  assert.deepEqual([states[0].state, states[0].canStart], ['stopped', true], output);
  assert.ok(states[0].detail.includes(moduleFile), states[0].detail);
  assert.match(output, /^probe: started$/m);
  assert.equal(states[1].state, 'running', output);
  assert.match(states[1].detail, /\/dev\/sharedmemory is there/);
  assert.equal(states[2].state, 'stopped', output);
  // Indented, so the client's own count lines are not read as this stage's.
  console.log(output.trim().split('\n').filter((l) => /^(guest:|probe:|ok |FAIL|client:)/.test(l)).map((l) => `    ${l}`).join('\n'));
});

test('dpkg --purge removes the module, the DKMS tree and the files', { skip }, () => {
  const r = sh('dpkg', ['--purge', PACKAGE]);
  assert.equal(r.status, 0, r.output);
  assert.ok(!installed());
  assert.ok(!existsSync(moduleFile), 'module removed');
  assert.ok(!existsSync(`/var/lib/dkms/sharedmemory`), 'DKMS tree removed');
  assert.ok(!existsSync(`/usr/src/sharedmemory-${VERSION}`), 'source removed');
  assert.ok(!existsSync('/lib/udev/rules.d/99-sharedmemory.rules'), 'udev rule removed');
  assert.equal(sh('modinfo', ['-k', kernel, 'sharedmemory']).status, 1, 'modinfo no longer finds it');
});
