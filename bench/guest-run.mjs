#!/usr/bin/env node
// Runs inside the VM (or any machine with the module loaded): every native and
// Node bench of one profile, one after another in the same boot so their ratios
// hold, and writes the raw timings and the guest's environment as one JSON file.
//
//   node bench/guest-run.mjs --profile full|quick --out FILE
//
// Needs dist/bench/shm-bench and dist/bench/node-bench.mjs (bench/build.mjs).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILES } from './lib/profiles.mjs';
import { machineState, stringOpFlags } from './lib/machine-state.mjs';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'full' },
    out: { type: 'string' },
    device: { type: 'string', default: '/dev/sharedmemory' },
  },
});
const profile = PROFILES[values.profile];
function usage(message) {
  console.error(`guest-run: ${message}\nusage: node bench/guest-run.mjs --profile ${Object.keys(PROFILES).join('|')} --out FILE [--device PATH]`);
  process.exit(2);
}
if (!profile) usage(`--profile must be one of ${Object.keys(PROFILES).join(', ')}, got "${values.profile}"`);
if (!values.out) usage('--out FILE is required');

const root = new URL('..', import.meta.url).pathname;
const native = join(root, 'dist/bench/shm-bench');
const nodeBench = join(root, 'dist/bench/node-bench.mjs');
const streamBench = join(root, 'dist/bench/stream-bench.mjs');
for (const f of [native, nodeBench, streamBench])
  if (!existsSync(f)) throw new Error(`${f} is missing: run node bench/build.mjs first`);

function run(label, file, args, env = process.env) {
  const started = Date.now();
  console.log(`bench: ${label} ...`);
  const out = execFileSync(file, args, {
    encoding: 'utf8',
    env,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  console.log(`bench: ${label} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return JSON.parse(out);
}

function moduleParameters() {
  const dir = '/sys/module/sharedmemory/parameters';
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).map((p) => [p, readFileSync(join(dir, p), 'utf8').trim()]));
}

const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
const environment = {
  kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  cpuCount: cpus().length,
  hypervisor: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
  stringOpFlags: stringOpFlags(cpuinfo),
  ...machineState(),
  memoryMiB: Math.round(totalmem() / 1024 / 1024),
  pageSize: Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()),
  node: process.version,
  koffi: JSON.parse(readFileSync(join(root, 'node_modules/koffi/package.json'), 'utf8')).version,
  moduleParameters: moduleParameters(),
};

const dev = ['--device', values.device];
const q = profile.query;
const a = profile.alloc;
const r = profile.read;
/**
 * QUERY in rounds: each round runs the C bench, then the Node bench, one run
 * each (after its own warm-up), so a ratio of Node to C is taken within a
 * round and a burst of load on the host slows both sides of it.
 */
function queryRounds() {
  const rounds = [];
  for (let r = 0; r < q.rounds; r++) {
    const c = run(`QUERY round trip (C), round ${r + 1}/${q.rounds}`, native, [...dev, 'query', q.batch, q.batches, 1, q.warmup].map(String));
    const node = run(`QUERY round trip (Node, koffi), round ${r + 1}/${q.rounds}`, process.execPath, [
      nodeBench, 'query', ...dev, '--batch', String(q.batch), '--batches', String(q.batches), '--runs', '1', '--warmup', String(q.warmup),
    ]);
    rounds.push({ c, node });
  }
  const first = rounds[0];
  const floor = (side) => Math.min(...rounds.map((x) => x[side].timerOverheadNs));
  return {
    c: { ...first.c, timerOverheadNs: floor('c'), runs: rounds.map((x) => x.c.runs[0]) },
    node: {
      ...first.node,
      timerOverheadNs: floor('node'),
      variants: Object.fromEntries(
        Object.keys(first.node.variants).map((k) => [
          k,
          { warmup: rounds.map((x) => x.node.variants[k].warmup), runs: rounds.map((x) => x.node.variants[k].runs[0]) },
        ]),
      ),
    },
  };
}

const raw = {
  profile: values.profile,
  environment,
  query: queryRounds(),
  alloc: run('allocation cost vs size (C)', native, [...dev, 'alloc', a.runs, a.warmup, ...a.sizes].map(String)),
  memset: run('user-space zeroing (C)', native, ['memset', a.runs, a.warmup, ...a.sizes].map(String)),
  read: {
    c: run('data path (C)', native, [...dev, 'read', r.runs, r.warmup, ...r.sizes].map(String)),
    node: run('data path (Node, koffi)', process.execPath, [
      nodeBench, 'read', ...dev, '--runs', String(r.runs), '--warmup', String(r.warmup), '--sizes', r.sizes.join(','),
    ]),
  },
};
// QEMU's TCG executes rep movsb/stosb one element at a time, so glibc's
// string functions (which use them from a few KiB up to the non-temporal
// threshold) and the kernel's copy_to_user and page clearing (which always do)
// run far slower than their vector-loop equivalents would. Measure that
// penalty once, at a size where glibc picks rep: the same memset and memcpy
// with glibc told to use its vector loops instead.
const probeSize = String(256 * 1024);
const vectorLoops = {
  ...process.env,
  GLIBC_TUNABLES: 'glibc.cpu.x86_rep_stosb_threshold=1073741824:glibc.cpu.x86_rep_movsb_threshold=1073741824',
};
raw.stringOps = {
  size: Number(probeSize),
  tunables: vectorLoops.GLIBC_TUNABLES,
  rep: {
    memset: run('string-op probe, glibc default (rep)', native, ['memset', '5', '1', probeSize]),
    read: run('string-op probe, glibc default (rep)', native, [...dev, 'read', '5', '1', probeSize]),
  },
  vector: {
    memset: run('string-op probe, glibc vector loops', native, ['memset', '5', '1', probeSize], vectorLoops),
    read: run('string-op probe, glibc vector loops', native, [...dev, 'read', '5', '1', probeSize], vectorLoops),
  },
};
// Streaming: each consumer from the lowest rate up, until it falls a whole ring
// behind (past that no rate can be kept up with). Drops can also come from the
// producer's timer running late under emulation, so they do not end the sweep.
const st = profile.stream;
const sweep = (consumer) => {
  const runs = [];
  for (const rate of st.rates) {
    const result =
      consumer === 'node'
        ? run(`stream, the app's Node consumer at ${rate}/s`, process.execPath, [streamBench, '--rate', rate, '--seconds', st.seconds].map(String))
        : run(`stream, ${consumer} consumer at ${rate}/s (C)`, native, [...dev, 'stream', consumer, rate, st.seconds].map(String));
    runs.push(result);
    if (result.maxBacklog >= result.capacity) break;
  }
  return runs;
};
raw.stream = {
  seconds: st.seconds,
  sustain: { ring: sweep('ring'), read: sweep('read'), node: sweep('node') },
  latency: run('stream latency at 1000/s, batch 1 (C)', native, [...dev, 'stream-latency', 1000, 1, st.latencySeconds].map(String)),
  wakeup: {
    same: run('eventfd wake-up floor, one CPU (C)', native, ['wakeup', 'same', st.wakeupRounds].map(String)),
    cross: run('eventfd wake-up floor, across CPUs (C)', native, ['wakeup', 'cross', st.wakeupRounds].map(String)),
  },
};
writeFileSync(values.out, JSON.stringify(raw));
console.log(`bench: raw results written to ${values.out}`);
