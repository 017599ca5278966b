// The Node consumer of the streaming bench (bench/README.md, part 5 (c)): the
// app's own Linux backend and stream consumer (electron/stream/), as the
// browser-mode server runs them, at one rate for a few seconds. Prints one
// JSON document on stdout in the shape of shm-bench's `stream` runs.
//
//   stream-bench --rate R --seconds S
//
// The ring holds about 100 ms of records and the producer ticks 100 times a
// second, as in the C runs. CPU time is the whole process's (process.cpuUsage:
// the consuming main thread, koffi's worker thread waiting in poll, V8's
// collector), user + system.
import { parseArgs } from 'node:util';
import { createLinuxBackend } from '../../electron/backends/linux-backend.ts';
import { StreamSession } from '../../electron/stream/stream-session.ts';
import { SHM_STREAM_MAX_BATCH, STRUCT_SIZE } from '../../api/device.ts';

const { values } = parseArgs({ options: { rate: { type: 'string' }, seconds: { type: 'string', default: '5' } } });
const rate = Number(values.rate);
const seconds = Number(values.seconds);
if (!Number.isInteger(rate) || rate < 1 || !(seconds > 0)) {
  console.error('usage: stream-bench --rate R --seconds S');
  process.exit(2);
}

const pow2AtLeast = (n) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
const capacity = Math.min(1 << 20, Math.max(1024, pow2AtLeast(rate / 10)));
const batch = Math.min(SHM_STREAM_MAX_BATCH, Math.max(1, Math.ceil(rate / 100)));
const pageSize = 4096;

const handle = createLinuxBackend().open();
try {
  handle.allocate(pageSize + capacity * STRUCT_SIZE.record);
  const channel = handle.startStream(rate, batch);
  // Watch the backlog the consumer meets at each drain: head - its own tail.
  let tail = 0;
  let maxBacklog = 0;
  const ring = {
    ...channel.ring,
    loadHead: () => {
      const head = channel.ring.loadHead();
      if (head - tail > maxBacklog) maxBacklog = head - tail;
      return head;
    },
    storeTail: (value) => {
      tail = value;
      channel.ring.storeTail(value);
    },
  };
  let last = null;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const session = new StreamSession({
    channel: { ...channel, ring },
    rateHz: rate,
    batch,
    onUpdate: (update) => {
      last = update;
    },
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  handle.stopStream();
  await session.requestStop();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const s = last?.statistics;
  console.log(
    JSON.stringify({
      consumer: 'node',
      rate,
      batch,
      capacity: channel.ring.capacity,
      seconds: elapsed,
      records: s?.records ?? 0,
      dropped: s?.dropped ?? 0,
      invalid: s?.invalid ?? 0,
      maxBacklog,
      cpuNs: (cpu.user + cpu.system) * 1000,
      latencyP50Ns: s?.latencyNs?.p50 ?? null,
      latencyP99Ns: s?.latencyNs?.p99 ?? null,
    }),
  );
  handle.release();
} finally {
  handle.close();
}
