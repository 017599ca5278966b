#!/usr/bin/env node
// Proves the VM harness's own verdicts can fail: a guest exit code comes
// back, a WARNING line in the guest's kernel log is reported, output can be
// awaited, and a guest that never ends is killed at its time limit with
// nothing left behind. Prints "vm-harness: N passed, N failed".
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVm } from './vm.mjs';

let passed = 0;
let failed = 0;
const check = (ok, what) => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} vm-harness: ${what}`);
};

const output = mkdtempSync(join(tmpdir(), 'vm-self-test-out-'));
try {
  const vm = await startVm({
    guestCommand:
      'echo "self-test: ready"; echo "WARNING: planted by the harness self-test" > /dev/kmsg; ' +
      `echo written > ${output}/result.txt; id -u; exit 7`,
    outputDir: output,
    timeoutSeconds: 300,
    loadModule: false,
  });
  const line = await vm.waitForOutput(/^self-test: ready$/, 240_000).catch((e) => e.message);
  check(line === 'self-test: ready', `waitForOutput sees the guest's line (${line})`);
  const r = await vm.result;
  check(r.exitCode === 7, `the guest command's exit code comes back (${r.exitCode})`);
  check(r.kernelProblems.length === 1 && /planted/.test(r.kernelProblems[0]), `a planted WARNING is reported (${r.kernelProblems.length} problem lines)`);
  check(/^0$/m.test(r.output), 'the command runs as root');
  const written = existsSync(join(output, 'result.txt')) ? readFileSync(join(output, 'result.txt'), 'utf8').trim() : '';
  check(written === 'written', 'a file written to the output directory reaches the host');

  const stuck = await startVm({ guestCommand: 'sleep 100000', timeoutSeconds: 8, loadModule: false });
  const s = await stuck.result;
  check(s.timedOut && s.exitCode !== 0, `a guest past its time limit is killed (timedOut ${s.timedOut}, exit ${s.exitCode})`);
  await stuck.stop();
  const left = [vm.workDir, stuck.workDir].filter((d) => existsSync(d));
  check(left.length === 0, `no temporary VM files are left behind (${left.join(', ') || 'none'})`);
} catch (error) {
  check(false, `no unexpected exception: ${error.message}`);
} finally {
  rmSync(output, { recursive: true, force: true });
}
console.log(`vm-harness: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
