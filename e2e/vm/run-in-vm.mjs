#!/usr/bin/env node
// Runs one shell command as root in the test VM (see vm.mjs) and streams its
// output. Exits with the command's exit code; non-zero too when the guest's
// kernel log shows a problem, or on timeout.
//
//   node e2e/vm/run-in-vm.mjs [--timeout S] [--memory MiB] [--cpus N]
//        [--forward HOST:GUEST]... [--output DIR] [--no-module]
//        [--module-params 'total_cap_mib=8'] [--kernel-log FILE] -- <guest shell command>
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startVm } from './vm.mjs';

const usage =
  'usage: run-in-vm.mjs [--timeout S] [--memory MiB] [--cpus N] [--forward HOST:GUEST] ' +
  '[--output DIR] [--no-module] [--module-params P] [--kernel-log FILE] -- <guest shell command>';

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      timeout: { type: 'string', default: '600' },
      memory: { type: 'string', default: '1024' },
      cpus: { type: 'string', default: '2' },
      forward: { type: 'string', multiple: true, default: [] },
      output: { type: 'string' },
      'no-module': { type: 'boolean', default: false },
      'module-params': { type: 'string', default: '' },
      'kernel-log': { type: 'string' },
    },
  });
} catch (error) {
  console.error(`run-in-vm: ${error.message}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;

function positiveInt(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`run-in-vm: --${name} wants a positive integer, got "${text}"`);
    process.exit(2);
  }
  return n;
}

const forwardPorts = values.forward.map((spec) => {
  const m = spec.match(/^(\d+):(\d+)$/);
  if (!m) {
    console.error(`run-in-vm: --forward wants HOST:GUEST, got "${spec}"`);
    process.exit(2);
  }
  return { host: Number(m[1]), guest: Number(m[2]) };
});
const guestCommand = positionals.join(' ');
if (!guestCommand.trim()) {
  console.error(`run-in-vm: no guest command\n${usage}`);
  process.exit(2);
}

let vm;
try {
  vm = await startVm({
    guestCommand,
    outputDir: values.output,
    forwardPorts,
    memoryMiB: positiveInt('memory', values.memory),
    cpus: positiveInt('cpus', values.cpus),
    timeoutSeconds: positiveInt('timeout', values.timeout),
    loadModule: !values['no-module'],
    moduleParams: values['module-params'],
    onOutput: (line) => console.log(line),
  });
} catch (error) {
  console.error(`run-in-vm: ${error.message}`);
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => { vm.stop().then(() => process.exit(130)); });

const r = await vm.result;
if (values['kernel-log']) writeFileSync(values['kernel-log'], r.kernelLog);
const seconds = (r.durationMs / 1000).toFixed(1);
if (r.timedOut) console.error(`run-in-vm: timed out after ${values.timeout} s; QEMU killed`);
if (r.exitCode === 125 && !r.timedOut && r.qemuStderr.trim()) console.error(`run-in-vm: qemu said:\n${r.qemuStderr.trim()}`);
if (r.kernelProblems.length > 0) {
  console.error(`run-in-vm: the guest kernel log has ${r.kernelProblems.length} problem line(s):`);
  for (const l of r.kernelProblems) console.error(`  ${l}`);
} else {
  console.log(`run-in-vm: guest kernel log clean (${r.kernelLog.split('\n').length} lines)`);
}
console.log(`run-in-vm: guest command exited ${r.exitCode} after ${seconds} s`);
process.exit(r.exitCode !== 0 ? r.exitCode : r.kernelProblems.length > 0 ? 1 : 0);
