// The Node half of the SharedMemory benchmarks (runs where the device is, in
// the VM). Prints raw timings as one JSON document on stdout, in the same shape
// as bench/c/shm-bench.c, for bench/lib/ to summarise.
//
//   node-bench query --batch B --batches N --runs R --warmup W
//       QUERY round trip through the app's Linux backend (koffi), and through
//       a bare koffi ioctl on the bench's own fd, bound with a fixed prototype
//       (as the backend does) and variadic. Timed in batches of B calls; the
//       variants take turns within each run, so their ratios are paired.
//   node-bench read --runs R --warmup W --sizes S1,S2,...
//       the data path in Node: koffi.view (zero copy; plain Node only), the
//       copies Electron allows (koffi.decode as a uint32_t array and as a
//       uint8_t array, libc memcpy into a reused and into a new Buffer), pread
//       into a reused Buffer; each followed by the same sum over every word,
//       and the same sum over plain JS memory.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import koffi from 'koffi';
import { createLinuxBackend } from '../../electron/backends/linux-backend.ts';
import { STRUCT_SIZE, SHM_LINUX_DEVICE_PATH } from '../../api/device.ts';
import { copyInto, openMappedAllocation, preadAll, rawQuery, rawQueryFixed } from './device-mapping.mjs';
import { sum32, fillPattern, expectedPatternSum } from '../lib/checksum.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    batch: { type: 'string', default: '100' },
    batches: { type: 'string', default: '100' },
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
// The most elements koffi puts in one array type.
const KOFFI_MAX_ARRAY = 2 ** 26;

function timerOverheadNs() {
  let best = Infinity;
  for (let i = 0; i < 1000; i++) {
    const t0 = now();
    const t1 = now();
    best = Math.min(best, Number(t1 - t0));
  }
  return best;
}

/** One run of `batches` samples, each the ns taken by `batch` back-to-back calls. */
function timeBatches(call, batch, batches) {
  const samples = new Array(batches);
  for (let b = 0; b < batches; b++) {
    const t0 = now();
    for (let i = 0; i < batch; i++) call();
    samples[b] = Number(now() - t0);
  }
  return samples;
}

function benchQuery() {
  const batch = count('batch', 1);
  const batches = count('batches', 1);
  const runs = count('runs', 1);
  const warmup = count('warmup', 0);
  const overhead = timerOverheadNs();

  const handle = createLinuxBackend({ devicePath: values.device }).open();
  // The same ioctl with nothing but koffi between JS and the kernel: the floor
  // any binding of it can reach, and how much the backend adds to it.
  const fd = fs.openSync(values.device, fs.constants.O_RDWR);
  try {
    const out = new Uint8Array(STRUCT_SIZE.deviceInfo);
    const variants = {
      backend: () => handle.query(),
      koffiFixed: () => rawQueryFixed(fd, out),
      koffiVariadic: () => rawQuery(fd, out),
    };
    const info = handle.query();
    if (info.abiVersion !== 1) throw new Error(`QUERY through the backend: abiVersion ${info.abiVersion}`);
    for (const [name, call] of Object.entries(variants)) {
      out.fill(0);
      call();
      if (name !== 'backend' && out[0] !== 1) throw new Error(`raw QUERY (${name}): abi_version ${out[0]}`);
    }
    // JIT-compiled code reaches its final tier only after many calls (slowly
    // under an emulator): warm every variant up before any is timed, in
    // batches too, so the report can show what the warm-up changed.
    const warmupBatches = Math.ceil(warmup / batch);
    const measured = {};
    for (const [name, call] of Object.entries(variants))
      measured[name] = { warmup: warmupBatches ? timeBatches(call, batch, warmupBatches) : [], runs: [] };
    for (let r = 0; r < runs; r++)
      for (const [name, call] of Object.entries(variants)) measured[name].runs.push(timeBatches(call, batch, batches));
    return { bench: 'query', language: 'node', timerOverheadNs: overhead, batch, variants: measured };
  } finally {
    fs.closeSync(fd);
    handle.close();
  }
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

    // The copies Electron allows (no ArrayBuffer over the mapping there), each
    // timed alone and with the same sum after it. koffi refuses arrays of more
    // than 2^26 elements, so the uint8_t decode goes in chunks of at most that;
    // the array types are made once, outside the timings.
    const words32 = (bytes) => new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const byteChunks = (size) => {
      const chunks = [];
      for (let at = 0; at < size; at += KOFFI_MAX_ARRAY) chunks.push({ at, type: koffi.array('uint8_t', Math.min(KOFFI_MAX_ARRAY, size - at)) });
      return chunks;
    };
    const chunksBySize = new Map(sizes.map((size) => [size, byteChunks(size)]));
    const decodeBytes = (size) => chunksBySize.get(size).map(({ at, type }) => words32(koffi.decode(device.address, at, type)));
    const copies = {
      decode: (size) => koffi.decode(device.address, 'uint32_t', size / 4),
      decodeBytes,
      memcpyReused: (size) => words32(copyInto(copyBuffer, device.address, size)),
      memcpyNew: (size) => words32(copyInto(Buffer.allocUnsafeSlow(size), device.address, size)),
    };

    // Rounds over all sizes, as the C bench does, so load bursts spread evenly.
    const measured = sizes.map(() => []);
    for (let r = 0; r < warmup + runs; r++) {
      sizes.forEach((size, index) => {
        const expected = expectedPatternSum(size);
        const words = size / 4;
        const sums = {};
        const times = {};
        // The zero-copy read and its reference first, before anything else of
        // this size touches memory, in turns: odd rounds read the JS array first.
        const readView = () => {
          const t = now();
          sums.view = sum32(new Uint32Array(koffi.view(device.address, size)));
          times.viewSum = Number(now() - t);
        };
        const readPlain = () => {
          const t = now();
          sums.plain = sum32(plain.subarray(0, words));
          times.plainSum = Number(now() - t);
        };
        for (const read of r % 2 ? [readPlain, readView] : [readView, readPlain]) read();

        let t0;
        for (const [name, copy] of Object.entries(copies)) {
          if (name === 'memcpyReused') copyBuffer.fill(0, 0, size);
          t0 = now();
          const copied = copy(size);
          times[`${name}Only`] = Number(now() - t0);
          sums[name] = Array.isArray(copied) ? copied.reduce((sum, chunk) => (sum + sum32(chunk)) >>> 0, 0) : sum32(copied);
          times[`${name}Sum`] = Number(now() - t0);
        }

        // Clear the target so a pread that copied nothing cannot pass the check.
        copyBuffer.fill(0, 0, size);
        t0 = now();
        preadAll(device.fd, copyBuffer, size);
        times.preadOnly = Number(now() - t0);
        sums.pread = sum32(words32(copyBuffer.subarray(0, size)));
        times.preadSum = Number(now() - t0);

        for (const [name, v] of Object.entries(sums)) {
          if (v !== expected) throw new Error(`read ${size} bytes: the ${name} sum is ${v}, expected ${expected}`);
        }
        if (r >= warmup) measured[index].push({ ...times, checksum: expected });
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
  console.error('usage: node-bench query|read [--batch B] [--batches N] [--runs R] [--warmup W] [--sizes S,...] [--device PATH]');
  process.exit(2);
}
try {
  process.stdout.write(JSON.stringify(benches[command]()) + '\n');
} catch (error) {
  console.error(`node-bench ${command}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
