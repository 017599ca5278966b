#!/usr/bin/env node
// The linux-vm test stage: builds the module, the C clients (the errno and
// lifetime client and the streaming client, 64- and 32-bit), the fuzzer and
// the Node backend check, checks that make W=1 is clean in the repository's
// and the DKMS source tree's layout, boots the Debian kernel under QEMU
// (e2e/vm/), runs driver/linux/tests/guest-tests.sh as root in the guest, and
// fails on any WARNING/BUG/Oops/KASAN/general protection line in the guest's
// kernel log; then e2e/vm/self-test.mjs proves those verdicts can fail.
//
//   node driver/linux/tests/run-vm-tests.mjs [--fuzz-seconds S] [--fuzz-iterations N]
//        [--timeout S] [--kernel-log FILE]
//
// Closes with "linux-vm: N passed, N failed, N skipped".
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { PROJECT_ROOT, startVm } from '../../../e2e/vm/vm.mjs';
import { kernelBuildDir, kernelVersion } from '../scripts/kernel-version.mjs';

const { values } = parseArgs({
  options: {
    'fuzz-seconds': { type: 'string', default: '30' },
    'fuzz-iterations': { type: 'string', default: '4000' },
    timeout: { type: 'string', default: '900' },
    'kernel-log': { type: 'string' },
  },
});
for (const k of ['fuzz-seconds', 'fuzz-iterations', 'timeout'])
  if (!/^\d+$/.test(values[k]) || Number(values[k]) <= 0) {
    console.error(`linux-vm: --${k} wants a positive integer, got "${values[k]}"`);
    process.exit(2);
  }

const started = Date.now();
const outDir = join(PROJECT_ROOT, 'dist/driver/linux/tests');
const counts = { passed: 0, failed: 0, skipped: 0 };
const record = (ok, what) => {
  counts[ok ? 'passed' : 'failed']++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} linux-vm: ${what}`);
};
const summary = (extra = '') => {
  console.log(`linux-vm: ${((Date.now() - started) / 1000).toFixed(0)} s${extra}`);
  console.log(`linux-vm: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  process.exit(counts.failed > 0 ? 1 : 0);
};

function step(what, fn) {
  try {
    fn();
    record(true, what);
    return true;
  } catch (error) {
    // checkpatch.pl and the compilers say what is wrong on stdout or stderr.
    const said = `${error.stdout?.toString() ?? ''}${error.stderr?.toString() ?? ''}`.trim();
    record(false, `${what}: ${said || error.message}`);
    return false;
  }
}

// 1. Build everything on the host.
const cflags = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-I', join(PROJECT_ROOT, 'driver/include')];
mkdirSync(outDir, { recursive: true });
const built = [
  step('the module builds with Kbuild (-Werror)', () =>
    execFileSync('node', [join(PROJECT_ROOT, 'driver/linux/scripts/build-module.mjs')], { stdio: ['ignore', 'inherit', 'pipe'] })),
  step('the C client builds (-Wall -Wextra -Werror)', () =>
    execFileSync('gcc', [...cflags, '-o', join(outDir, 'client-test'), join(PROJECT_ROOT, 'driver/linux/tests/client-test.c')])),
  // The guest runs it with this machine's 32-bit libc (gcc-multilib brings it).
  step('the 32-bit C client builds (gcc -m32, -Wall -Wextra -Werror)', () =>
    execFileSync('gcc', ['-m32', ...cflags, '-o', join(outDir, 'client-test-32'), join(PROJECT_ROOT, 'driver/linux/tests/client-test.c')])),
  step('the streaming client builds (-Wall -Wextra -Werror)', () =>
    execFileSync('gcc', [...cflags, '-o', join(outDir, 'stream-test'), join(PROJECT_ROOT, 'driver/linux/tests/stream-test.c')])),
  step('the 32-bit streaming client builds (gcc -m32, -Wall -Wextra -Werror)', () =>
    execFileSync('gcc', ['-m32', ...cflags, '-o', join(outDir, 'stream-test-32'), join(PROJECT_ROOT, 'driver/linux/tests/stream-test.c')])),
  step('the fuzzer builds (-Wall -Wextra -Werror)', () =>
    execFileSync('gcc', [...cflags, '-o', join(outDir, 'fuzz'), join(PROJECT_ROOT, 'driver/linux/tests/fuzz.c')])),
];
try {
  await build({
    entryPoints: [join(PROJECT_ROOT, 'electron/backends/linux-backend-guest-check.ts')],
    outfile: join(outDir, 'linux-backend-guest-check.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi'],
    logLevel: 'error',
  });
  record(true, 'the Node backend check bundles (esbuild)');
} catch (error) {
  record(false, `the Node backend check bundles: ${error.message}`);
  built.push(false);
}

// 2. make W=1 is clean, warnings fatal (SHM_WERROR=1), in both layouts the
// module is built from: the repository (driver/linux beside driver/include)
// and the DKMS source tree (make dkms-source: the header in include/). Each
// builds in a copy, so the module built above is left alone.
function w1Clean(sourceDir) {
  const run = spawnSync('make', ['-C', kernelBuildDir(), `M=${sourceDir}`, 'W=1', 'SHM_WERROR=1', 'modules'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const said = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  if (run.status !== 0) throw new Error(said.trim() || `make ended with ${run.signal ?? run.status}`);
  // Warnings -Werror does not cover (modpost's, for one) must not be there either.
  const warnings = said.split('\n').filter((line) => /warning:/i.test(line));
  if (warnings.length > 0) throw new Error(warnings.join('\n'));
}
{
  const scratch = mkdtempSync(join(tmpdir(), 'shm-w1-'));
  try {
    step('make W=1 is clean in the repository layout', () => {
      for (const dir of ['driver/linux', 'driver/include'])
        cpSync(join(PROJECT_ROOT, dir), join(scratch, 'repo', dir), { recursive: true, filter: (src) => !/\.(o|ko|mod|mod\.c|cmd)$|Module\.symvers|modules\.order/.test(src) });
      w1Clean(join(scratch, 'repo/driver/linux'));
    });
    step('make W=1 is clean in the DKMS layout (make dkms-source)', () => {
      execFileSync('make', ['-s', '-C', join(PROJECT_ROOT, 'driver/linux'), 'dkms-source', `DEST=${join(scratch, 'dkms')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      w1Clean(join(scratch, 'dkms'));
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// 3. Kernel coding style. Debian's headers packages lack checkpatch.pl, so it
// comes from the kernel source package (linux-source-*, one tarball), taken out
// once into dist/.
function findCheckpatch() {
  if (process.env.CHECKPATCH) return process.env.CHECKPATCH;
  const fromTree = readdirSync('/usr/src')
    .map((d) => `/usr/src/${d}/scripts/checkpatch.pl`)
    .find((p) => existsSync(p));
  if (fromTree) return fromTree;
  const tarball = readdirSync('/usr/src').find((f) => /^linux-source-[\d.]+\.tar\.xz$/.test(f));
  if (!tarball) return null;
  const top = tarball.replace(/\.tar\.xz$/, '');
  const into = join(PROJECT_ROOT, 'dist', 'tools', 'checkpatch');
  const script = join(into, top, 'scripts', 'checkpatch.pl');
  if (!existsSync(script)) {
    mkdirSync(into, { recursive: true });
    // checkpatch.pl reads these two beside itself.
    const wanted = ['checkpatch.pl', 'spelling.txt', 'const_structs.checkpatch'].map((f) => `${top}/scripts/${f}`);
    execFileSync('tar', ['-xJf', join('/usr/src', tarball), '-C', into, ...wanted], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return script;
}
const checkpatch = findCheckpatch();
if (checkpatch) {
  step(`checkpatch.pl --strict is clean (${checkpatch.replace(PROJECT_ROOT + '/', '')})`, () =>
    execFileSync('perl', [checkpatch, '--no-tree', '--strict', '--terse', '--show-types', '-f', join(PROJECT_ROOT, 'driver/linux/sharedmemory.c')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
} else {
  counts.skipped++;
  console.log('skip linux-vm: checkpatch.pl: neither the kernel headers nor a linux-source package provide it (install linux-source-6.1, or set CHECKPATCH=<path>)');
}
if (built.includes(false)) summary(' (nothing run in the VM: the build failed)');

// 4. The VM.
console.log(`linux-vm: booting /boot/vmlinuz-${kernelVersion()} under QEMU TCG`);
const vm = await startVm({
  guestCommand: 'sh driver/linux/tests/guest-tests.sh',
  timeoutSeconds: Number(values.timeout),
  memoryMiB: 1024,
  env: { FUZZ_SECONDS: values['fuzz-seconds'], FUZZ_ITERATIONS: values['fuzz-iterations'] },
  onOutput: (line) => console.log(`  ${line}`),
});
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => { vm.stop().then(() => process.exit(130)); });
const r = await vm.result;
if (values['kernel-log']) writeFileSync(values['kernel-log'], r.kernelLog);

// Every part's "<name>: N passed, N failed" line counts.
const parts = {};
for (const m of r.output.matchAll(/^([\w-]+): (\d+) passed, (\d+) failed$/gm)) {
  const [, name, p, f] = m;
  parts[name] = (parts[name] ?? 0) + Number(p) + Number(f);
  counts.passed += Number(p);
  counts.failed += Number(f);
}
const fuzz = r.output.match(/^fuzz: (\d+) iterations in ([\d.]+) s/m);
for (const name of ['client', 'client-32', 'stream', 'stream-32', 'fuzz', 'node-backend', 'module'])
  if (!parts[name]) record(false, `the guest printed no result line for ${name}`);
record(!r.timedOut, r.timedOut ? `timed out after ${values.timeout} s; QEMU killed` : `the guest finished in ${(r.durationMs / 1000).toFixed(0)} s`);
record(r.exitCode === 0, `the guest script exited ${r.exitCode}`);
record(
  r.kernelProblems.length === 0,
  r.kernelProblems.length === 0
    ? `the guest kernel log (${r.kernelLog.split('\n').length} lines) has no WARNING/BUG/Oops/KASAN/general protection`
    : `the guest kernel log has problems:\n    ${r.kernelProblems.join('\n    ')}`,
);

// 5. The harness's own verdicts must be able to fail (planted WARNING, exit code, timeout).
{
  const run = spawnSync('node', [join(PROJECT_ROOT, 'e2e/vm/self-test.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(String(run.stdout ?? '').replace(/^/gm, '  '));
  const m = String(run.stdout ?? '').match(/^vm-harness: (\d+) passed, (\d+) failed$/m);
  if (m) {
    counts.passed += Number(m[1]);
    counts.failed += Number(m[2]);
  }
  if (!m || (run.status !== 0 && Number(m[2]) === 0))
    record(false, `the VM harness self-test ended with status ${run.status ?? run.signal}`);
}

summary(
  `; scenarios: client ${parts.client ?? 0}, 32-bit client ${parts['client-32'] ?? 0}, stream ${parts.stream ?? 0}, ` +
    `32-bit stream ${parts['stream-32'] ?? 0}, node backend ${parts['node-backend'] ?? 0}, module ${parts.module ?? 0}; ` +
    `fuzz iterations: ${fuzz ? `${fuzz[1]} in ${fuzz[2]} s` : 'none'}`,
);
