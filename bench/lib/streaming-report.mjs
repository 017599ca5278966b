// The streaming section of the bench's table and its findings, built from
// results.streaming (bench/lib/streaming-summary.mjs).
const f = (v, digits = 3) => (v === null || v === undefined ? '—' : Number(v).toPrecision(digits));
const us = (ns) => f(ns / 1e3);
const rate = (r) => (r === null ? 'no rate of the sweep' : `${r} records/s`);

export function streamingTable(s) {
  const lines = [];
  lines.push(
    `**5. Streaming (C): each consumer over a sweep of rates, ${s.seconds} s per rate, until it falls a whole ring behind; ` +
      'CPU time is getrusage of the consuming thread; every record is verified**',
  );
  lines.push('');
  lines.push('| consumer | rate /s | batch | ring records | records | dropped | max backlog | CPU ns/record | CPU share |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const sweeps = [['(a) ring in place, woken by poll', s.ring], ['(b) read() copy path', s.copy]];
  if (s.node?.runs.length) sweeps.push(["(c) the app's Linux backend under Node (async poll, in place; process CPU)", s.node]);
  for (const [name, sweep] of sweeps)
    for (const r of sweep.runs)
      lines.push(
        `| ${name} | ${r.rate} | ${r.batch} | ${r.capacity} | ${r.records} | ${r.dropped} | ${r.maxBacklog} | ${f(r.cpuNsPerRecord)} | ${(r.cpuShare * 100).toFixed(1)}% |`,
      );
  lines.push('');
  lines.push(
    `Highest rate run with no drop: ring ${rate(s.ring.sustainedRate)}, read() ${rate(s.copy.sustainedRate)}. ` +
      `Highest rate kept up with (backlog below the ring's size): ring ${rate(s.ring.keptUpRate)}, read() ${rate(s.copy.keptUpRate)}. ` +
      `CPU per record, ring / read(): ${s.cpuRatioByRate.map((c) => `${f(c.ringToCopy)} at ${c.rate}/s`).join(', ') || '—'}.` +
      (s.node?.runs.length ? ` The app's Node consumer: no drop up to ${rate(s.node.sustainedRate)}, kept up to ${rate(s.node.keptUpRate)}.` : ''),
  );
  lines.push('');
  lines.push('| latency | samples | p50 µs | p99 µs | max µs |');
  lines.push('|---|---:|---:|---:|---:|');
  const l = s.latency;
  const w = s.wakeupFloor;
  lines.push(`| record timestamp_ns to the ring consumer, ${l.rate}/s, batch ${l.batch} (${l.dropped} dropped) | ${l.samples} | ${us(l.p50Ns)} | ${us(l.p99Ns)} | ${us(l.maxNs)} |`);
  const x = s.wakeupAcrossCpus;
  lines.push(`| floor: eventfd write to a thread asleep in poll() on the same CPU, same boot | ${w.samples} | ${us(w.p50Ns)} | ${us(w.p99Ns)} | ${us(w.maxNs)} |`);
  lines.push(`| for scale: the same wake-up across CPUs | ${x.samples} | ${us(x.p50Ns)} | ${us(x.p99Ns)} | ${us(x.maxNs)} |`);
  lines.push('');
  return lines.join('\n');
}

export function streamingFindings(s) {
  const out = [];
  const last = (sweep) => sweep.runs.at(-1);
  const cr = s.cpuRatioByRate.at(-1);
  const behind = (sweep) => (last(sweep).keptUp ? 'kept up to the end of the sweep' : `fell a ring behind at ${last(sweep).rate}/s`);
  const lateDrops = [...s.ring.runs, ...s.copy.runs].filter((r) => r.keptUp && r.dropped > 0);
  out.push(
    `Streaming: the highest rate run ${s.seconds} s with no drop was ${rate(s.ring.sustainedRate)} for the ring consumer and ${rate(s.copy.sustainedRate)} for read(); ` +
      `the ring consumer ${behind(s.ring)}, read() ${behind(s.copy)}` +
      (cr ? `; at ${cr.rate}/s the ring consumer spent ${f(cr.ringToCopy)}x the CPU time per record of read().` : '.') +
      (lateDrops.length
        ? ` ${lateDrops.length} run(s) lost records while the consumer kept up (backlog below the ring): the producer's ticks came more than four periods late, which the emulated guest's timer does under host load.`
        : ''),
  );
  if (s.node?.runs.length) {
    const late = s.node.runs.filter((r) => r.keptUp && r.dropped > 0);
    out.push(
      `The app's Node consumer (its Linux backend and stream consumer, one process): ` +
        `no drop for ${s.seconds} s at ${s.node.sustainedRate ?? 'no rate of the sweep'}` +
        `${s.node.sustainedRate ? ' records/s' : ''}; it kept up (backlog below the ring) to ${s.node.keptUpRate ?? 'no rate'} records/s` +
        `${s.ring.keptUpRate ? ` against the C ring consumer's ${s.ring.keptUpRate}` : ''}` +
        (late.length ? `; ${late.length} of its runs lost records to late producer ticks while it kept up` : '') +
        `. Its CPU time is the whole process's (the consuming main thread, koffi's thread waiting in poll, V8's collector), ` +
        `${s.node.runs.map((r) => `${f(r.cpuNsPerRecord)} ns/record at ${r.rate}/s`).join(', ')}.`,
    );
  }
  out.push(
    `Latency at ${s.latency.rate}/s, batch ${s.latency.batch}: p50 ${us(s.latency.p50Ns)} µs, p99 ${us(s.latency.p99Ns)} µs from the record's timestamp to the consumer, ` +
      `against p50 ${us(s.wakeupFloor.p50Ns)} µs, p99 ${us(s.wakeupFloor.p99Ns)} µs for waking a sleeping thread on the same CPU with an eventfd ` +
      `(across CPUs p50 ${us(s.wakeupAcrossCpus.p50Ns)} µs, p99 ${us(s.wakeupAcrossCpus.p99Ns)} µs).`,
  );
  return out;
}
