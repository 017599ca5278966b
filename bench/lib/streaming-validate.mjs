// Structure and sanity checks on results.streaming, for bench/lib/validate.mjs.
const finitePositive = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;

export function validateStreaming(s, check) {
  if (!s) {
    check('streaming: present', false, 'results.streaming is missing');
    return;
  }
  const sweeps = [['ring', s.ring], ['read()', s.copy]];
  if (s.node?.runs.length) sweeps.push(["the app's Node consumer", s.node]);
  for (const [name, sweep] of sweeps) {
    const runs = sweep?.runs ?? [];
    check(`streaming ${name}: at least one rate run`, runs.length >= 1);
    check(
      `streaming ${name}: rates rising, records and CPU time per record positive`,
      runs.every((r, i) => (i === 0 || r.rate > runs[i - 1].rate) && r.records > 0 && finitePositive(r.cpuNsPerRecord)),
      runs.map((r) => `${r.rate}/s: ${r.records} records, ${r.cpuNsPerRecord} ns`).join('; '),
    );
    check(
      `streaming ${name}: records plus drops never ahead of rate x time`,
      runs.every((r) => r.records + r.dropped <= r.rate * (r.seconds + 0.5) + r.batch * 4),
      runs.map((r) => `${r.records}+${r.dropped} at ${r.rate}/s over ${r.seconds} s`).join('; '),
    );
  }
  for (const [name, x] of [['latency', s.latency], ['wake-up floor', s.wakeupFloor], ['wake-up across CPUs', s.wakeupAcrossCpus]])
    check(
      `streaming ${name}: p50 and p99 positive, p99 >= p50`,
      x && x.samples > 0 && finitePositive(x.p50Ns) && finitePositive(x.p99Ns) && x.p99Ns >= x.p50Ns && x.maxNs >= x.p99Ns,
      x ? `p50 ${x.p50Ns} ns, p99 ${x.p99Ns} ns over ${x.samples}` : 'missing',
    );
}
