#!/usr/bin/env node
// Proves the VM harness's own verdicts can fail: a guest exit code comes
// back, a WARNING line in the guest's kernel log is reported, output can be
// awaited, and a guest that never ends is killed at its time limit with
// nothing left behind; a forwarded port reaches a server in the guest.
// Prints "vm-harness: N passed, N failed".
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const output = mkdtempSync(join(tmpdir(), 'vm-self-test-out-'));
try {
  const hostPort = await freePort();
  const vm = await startVm({
    // A tiny web server in the guest proves the port forward; the host
    // tells the guest it has fetched the page through the output directory.
    guestCommand:
      'mkdir -p /tmp/www && echo "hello from the guest" > /tmp/www/index.html && ' +
      '(busybox httpd -f -p 8080 -h /tmp/www &) && sleep 1 && echo "self-test: ready"; ' +
      `i=0; while [ ! -e ${output}/fetched ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done; ` +
      'echo "WARNING: planted by the harness self-test" > /dev/kmsg; ' +
      `echo written > ${output}/result.txt; id -u; exit 7`,
    outputDir: output,
    forwardPorts: [{ host: hostPort, guest: 8080 }],
    timeoutSeconds: 300,
    loadModule: false,
  });
  const line = await vm.waitForOutput(/^self-test: ready$/, 240_000).catch((e) => e.message);
  check(line === 'self-test: ready', `waitForOutput sees the guest's line (${line})`);
  const page = await fetch(`http://127.0.0.1:${hostPort}/`).then((res) => res.text(), (e) => String(e));
  check(page.trim() === 'hello from the guest', `a forwarded port reaches the guest's server (${page.trim()})`);
  writeFileSync(join(output, 'fetched'), '');
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
