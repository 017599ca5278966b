// The streaming part of bench/results.json (CONTRACT.md section 5): from the
// guest's raw runs (bench/guest-run.mjs) to sustained rates, CPU time per
// record, latency percentiles and the two streaming targets.
import { quantile } from './stats.mjs';

/**
 * One consumer's rate sweep: each run's figures; the highest rate it ran the
 * whole time with no record dropped (the measure); and the highest
 * rate it kept up with, its backlog never reaching the ring's capacity.
 * The two differ when the producer's timer runs late (a loaded emulator):
 * then records are lost although the consumer was waiting for them.
 */
export function consumerSweep(runs) {
  const out = runs.map((r) => ({
    rate: r.rate,
    batch: r.batch,
    capacity: r.capacity,
    seconds: r.seconds,
    records: r.records,
    dropped: r.dropped,
    maxBacklog: r.maxBacklog,
    recordsPerSecond: r.records / r.seconds,
    cpuNsPerRecord: r.records > 0 ? r.cpuNs / r.records : null,
    cpuShare: r.cpuNs / (r.seconds * 1e9),
    keptUp: r.records > 0 && r.maxBacklog < r.capacity,
  }));
  const highest = (ok) => out.filter(ok).reduce((m, r) => Math.max(m, r.rate), -1);
  const orNull = (v) => (v < 0 ? null : v);
  return {
    runs: out,
    sustainedRate: orNull(highest((r) => r.dropped === 0 && r.records > 0)),
    keptUpRate: orNull(highest((r) => r.keptUp)),
  };
}

function percentiles(samples) {
  return {
    samples: samples.length,
    p50Ns: quantile(samples, 0.5),
    p99Ns: quantile(samples, 0.99),
    maxNs: Math.max(...samples),
  };
}

/** raw: { seconds, sustain: { ring: [...], read: [...], node: [...] }, latency, wakeup } */
export function streamingSummary(raw) {
  const ring = consumerSweep(raw.sustain.ring);
  const copy = consumerSweep(raw.sustain.read);
  // (c) the app's backend and consumer under Node; absent from runs made before it existed.
  const node = consumerSweep(raw.sustain.node ?? []);
  // CPU per record compared where both consumers kept up: the highest such rate.
  const clean = (sweep, rate) => sweep.runs.find((r) => r.rate === rate && r.keptUp);
  const common = ring.runs.filter((r) => clean(ring, r.rate) && clean(copy, r.rate)).map((r) => r.rate);
  const cpuRatioByRate = common.map((rate) => ({
    rate,
    ringToCopy: clean(ring, rate).cpuNsPerRecord / clean(copy, rate).cpuNsPerRecord,
  }));
  return {
    seconds: raw.seconds,
    ring,
    copy,
    node,
    cpuRatioByRate,
    latency: { rate: raw.latency.rate, batch: raw.latency.batch, dropped: raw.latency.dropped, ...percentiles(raw.latency.latencyNs) },
    // The consumer is woken on the CPU its producer's timer runs on: the
    // same-CPU floor is the one to compare with; across CPUs is for scale.
    wakeupFloor: percentiles(raw.wakeup.same.latencyNs),
    wakeupAcrossCpus: percentiles(raw.wakeup.cross.latencyNs),
  };
}

/** The two C streaming targets, with the numbers behind each verdict. */
export function streamingTargets(s) {
  const at = s.cpuRatioByRate.at(-1);
  const cpu = at
    ? {
        id: 'stream-ring-cpu-vs-copy',
        description: `ring consumer CPU per record <= 1/3 of the copy path's (C, at ${at.rate} records/s, the highest rate both kept up with)`,
        value: at.ringToCopy,
        threshold: 1 / 3,
        met: at.ringToCopy <= 1 / 3,
      }
    : {
        id: 'stream-ring-cpu-vs-copy',
        description: "ring consumer CPU per record <= 1/3 of the copy path's (C)",
        value: null,
        threshold: 1 / 3,
        met: null,
        note: 'no rate of the sweep was kept up with by both consumers',
      };
  const ratio = s.latency.p99Ns / s.wakeupFloor.p99Ns;
  const nodeShare = s.node && s.node.runs.length && s.ring.sustainedRate ? (s.node.sustainedRate ?? 0) / s.ring.sustainedRate : null;
  return [
    cpu,
    {
      id: 'stream-node-vs-c',
      description: "Node's sustained rate (the app's Linux backend and consumer, 5 s, no drop) >= 25% of C's (the ring consumer)",
      value: nodeShare,
      threshold: 0.25,
      met: nodeShare === null ? null : nodeShare >= 0.25,
      ...(nodeShare === null ? { note: 'no Node consumer run in these results' } : {}),
    },
    {
      id: 'stream-latency-vs-wakeup',
      description: `stream p99 latency (timestamp_ns to the consumer, ${s.latency.rate} records/s, batch ${s.latency.batch}) <= 2x the p99 of an eventfd wake-up on one CPU`,
      value: ratio,
      threshold: 2,
      met: ratio <= 2,
    },
  ];
}
