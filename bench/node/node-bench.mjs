// The Node half of the SharedMemory benchmarks (runs where the device is, in
// the VM). Prints raw timings as one JSON document on stdout, in the same shape
// as bench/c/shm-bench.c, for bench/lib/ to summarise.
//
//   node-bench query --calls N --runs R --warmup W
//       QUERY round trip per call through the app's Linux backend (koffi), and
//       through a bare koffi ioctl on the bench's own fd, bound variadic (as
//       the backend does) and with a fixed prototype.
//   node-bench read --runs R --warmup W --sizes S1,S2,...
//       the data path in Node: koffi.view (zero copy), koffi.decode (the copy
//       Electron needs), pread into a reused Buffer; each followed by the same
//       sum over every word, and the same sum over plain JS memory.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import koffi from 'koffi';
import { createLinuxBackend } from '../../electron/backends/linux-backend.ts';
import { STRUCT_SIZE, SHM_LINUX_DEVICE_PATH } from '../../api/device.ts';
import { openMappedAllocation, preadAll, rawQuery, rawQueryFixed } from './device-mapping.mjs';
import { sum32, fillPattern, expectedPatternSum } from '../lib/checksum.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    calls: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    sizes: { type: 'string', default: '' },
    device: { type: 'string', default: SHM_LINUX_DEVICE_PATH },
  },
});

function count(name, min) {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got "${values[name]}"`);
  return v;
}

const now = () => process.hrtime.bigint();

function timerOverheadNs() {
  let best = Infinity;
  for (let i = 0; i < 1000; i++) {
    const t0 = now();
    const t1 = now();
    best = Math.min(best, Number(t1 - t0));
  }
  return best;
}

/** Times `call` once per sample; returns runs of per-call nanoseconds. */
function timeCalls(call, calls, runs, warmup) {
  for (let i = 0; i < warmup; i++) call();
  const out = [];
  for (let r = 0; r < runs; r++) {
    const samples = new Array(calls);
    for (let i = 0; i < calls; i++) {
      const t0 = now();
      call();
      samples[i] = Number(now() - t0);
    }
    out.push(samples);
  }
  return out;
}

function benchQuery() {
  const calls = count('calls', 1);
  const runs = count('runs', 1);
  const warmup = count('warmup', 0);
  const overhead = timerOverheadNs();

  const handle = createLinuxBackend({ devicePath: values.device }).open();
  let backendRuns;
  try {
    const info = handle.query();
    if (info.abiVersion !== 1) throw new Error(`QUERY through the backend: abiVersion ${info.abiVersion}`);
    backendRuns = timeCalls(() => handle.query(), calls, runs, warmup);
  } finally {
    handle.close();
  }

  // The same ioctl with nothing but koffi between JS and the kernel: how much
  // of the backend's cost is its own decoding and checks.
  const fd = fs.openSync(values.device, fs.constants.O_RDWR);
  let rawRuns;
  let fixedRuns;
  let leanRuns;
  let leanFixedRuns;
  try {
    const out = Buffer.alloc(STRUCT_SIZE.deviceInfo);
    rawRuns = timeCalls(() => rawQuery(fd, out), calls, runs, warmup);
    if (out.readUInt32LE(0) !== 1) throw new Error(`raw QUERY: abi_version ${out.readUInt32LE(0)}`);
    out.fill(0);
    fixedRuns = timeCalls(() => rawQueryFixed(fd, out), calls, runs, warmup);
    if (out.readUInt32LE(0) !== 1) throw new Error(`raw QUERY (fixed prototype): abi_version ${out.readUInt32LE(0)}`);
    // What the backend's query() could cost: the same ioctl and the same
    // DeviceInfo object, but a reused buffer and no BigInt or DataView per call.
    const u64 = (at) => out.readUInt32LE(at + 4) * 2 ** 32 + out.readUInt32LE(at);
    const decode = () => ({
      abiVersion: out.readUInt32LE(0),
      driverVersion: out.readUInt32LE(4),
      pageSize: u64(8),
      maxSize: u64(16),
      totalBytes: u64(24),
      allocations: out.readUInt32LE(32),
      features: out.readUInt32LE(36),
    });
    const leanQuery = () => {
      rawQuery(fd, out);
      return decode();
    };
    // Both remedies at once: reused buffer and the fixed-prototype binding.
    const leanFixedQuery = () => {
      rawQueryFixed(fd, out);
      return decode();
    };
    const backendView = createLinuxBackend({ devicePath: values.device }).open();
    try {
      const a = JSON.stringify(leanQuery());
      const b = JSON.stringify(backendView.query());
      const c = JSON.stringify(leanFixedQuery());
      if (a !== b || c !== b) throw new Error(`lean QUERY decodes ${a} and ${c}, the backend ${b}`);
    } finally {
      backendView.close();
    }
    leanRuns = timeCalls(leanQuery, calls, runs, warmup);
    leanFixedRuns = timeCalls(leanFixedQuery, calls, runs, warmup);
  } finally {
    fs.closeSync(fd);
  }
  return {
    bench: 'query',
    language: 'node',
    timerOverheadNs: overhead,
    runs: backendRuns,
    rawKoffiRuns: rawRuns,
    fixedKoffiRuns: fixedRuns,
    leanRuns,
    leanFixedRuns,
  };
}

function benchRead() {
  const runs = count('runs', 1);
  const warmup = count('warmup', 0);
  const sizes = values.sizes.split(',').filter(Boolean).map(Number);
  if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s <= 0 || s % 4096)) {
    throw new Error(`--sizes must list positive multiples of 4096, got "${values.sizes}"`);
  }
  const max = Math.max(...sizes);
  const device = openMappedAllocation(values.device, max);
  try {
    // Fill the driver's pages with the pattern through the zero-copy view.
    const seed = new Uint16Array(koffi.view(device.address, 20));
    if (seed.join(',') !== '10,9,8,7,6,5,4,3,2,1') throw new Error(`fresh allocation holds ${seed.join(',')}, expected 10..1`);
    fillPattern(new Uint32Array(koffi.view(device.address, max)));
    const copyBuffer = Buffer.alloc(max);
    const plain = new Uint32Array(max / 4);
    fillPattern(plain);

    // Rounds over all sizes, as the C bench does, so load bursts spread evenly.
    const measured = sizes.map(() => []);
    for (let r = 0; r < warmup + runs; r++) {
      sizes.forEach((size, index) => {
        const expected = expectedPatternSum(size);
        const words = size / 4;
        let t0 = now();
        const viewSumValue = sum32(new Uint32Array(koffi.view(device.address, size)));
        const viewSum = Number(now() - t0);

        t0 = now();
        const decoded = koffi.decode(device.address, 'uint32_t', words);
        const decodeOnly = Number(now() - t0);
        const decodeSumValue = sum32(decoded);
        const decodeSum = Number(now() - t0);

        // Clear the target so a pread that copied nothing cannot pass the check.
        copyBuffer.fill(0, 0, size);
        t0 = now();
        preadAll(device.fd, copyBuffer, size);
        const preadOnly = Number(now() - t0);
        const preadSumValue = sum32(new Uint32Array(copyBuffer.buffer, copyBuffer.byteOffset, words));
        const preadSum = Number(now() - t0);

        t0 = now();
        const plainSumValue = sum32(plain.subarray(0, words));
        const plainSum = Number(now() - t0);

        for (const [name, v] of Object.entries({ viewSumValue, decodeSumValue, preadSumValue, plainSumValue })) {
          if (v !== expected) throw new Error(`read ${size} bytes: ${name} is ${v}, expected ${expected}`);
        }
        if (r >= warmup) measured[index].push({ viewSum, decodeSum, decodeOnly, preadSum, preadOnly, plainSum, checksum: expected });
      });
    }
    const result = sizes.map((size, index) => ({ size, runs: measured[index] }));
    return { bench: 'read', language: 'node', sizes: result };
  } finally {
    device.close();
  }
}

const command = positionals[0];
const benches = { query: benchQuery, read: benchRead };
if (!benches[command] || positionals.length !== 1) {
  console.error('usage: node-bench query|read [--calls N] [--runs R] [--warmup W] [--sizes S,...] [--device PATH]');
  process.exit(2);
}
try {
  process.stdout.write(JSON.stringify(benches[command]()) + '\n');
} catch (error) {
  console.error(`node-bench ${command}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
