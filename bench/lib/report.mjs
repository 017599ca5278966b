// The bench's human-readable report (markdown, printed and put in
// bench/README.md): one function per section of results.json, then the
// sentences under the tables, each built from the figures it states.
import { formatBytes } from './svg-plot.mjs';
import { DATA_VARIANTS, ELECTRON_COPIES, QUERY_CLIENTS } from './summarize.mjs';
import { streamingFindings, streamingTable } from './streaming-report.mjs';

const f = (v, digits = 3) => (v === null || v === undefined ? '—' : Number(v).toPrecision(digits));
const us = (ns) => f(ns / 1e3);
const ms = (ns) => f(ns / 1e6);
const pct = (s) => `±${(s.relSpread * 50).toFixed(0)}%`;
const range = (s) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const times = (s) => `${f(s.median)}x (${f(s.min)}–${f(s.max)} over rounds)`;
const percent = (share) => `${f(share * 100, 2)}%`;

/** "THP madvise (defrag madvise), no CPU frequency governor (...)" for one machine. */
function machineLine(m) {
  const choice = (c) => c?.setting ?? `absent (${c?.absent ?? 'not recorded'})`;
  const thp = m.transparentHugepage;
  const gov = m.cpuFrequency;
  const governor = gov?.governors ? `CPU frequency governor ${gov.governors.join('/')} (${gov.driver ?? 'driver unknown'})` : `no CPU frequency governor (${gov?.absent ?? 'not recorded'})`;
  return `transparent hugepages ${choice(thp?.enabled)}, defrag ${choice(thp?.defrag)}; ${governor}`;
}

function environmentSection(r) {
  const env = r.environment;
  const g = env.guest;
  return [
    `Run ${r.date} (${r.profile} profile, ${r.durationSeconds.toFixed(0)} s). Guest: Linux ${g.kernel}, ${g.cpuCount} vCPU "${g.cpuModel}", ` +
      `${g.memoryMiB} MiB, QEMU ${env.qemu} accel ${env.accelerator}; ${machineLine(g)}. ` +
      `Host: CPU "${env.host.cpuModel}" (${env.host.cpuCount} cores, load average ${f(env.host.loadAverage.start, 2)} at the start, ` +
      `${f(env.host.loadAverage.end, 2)} at the end); ${machineLine(env.host)}. ` +
      'Medians over runs after a warm-up; ±x% is half the min–max spread of the runs; "paired" ratios are taken within each round, then the median (min–max) over rounds.',
  ];
}

function controlSection(r) {
  const c = r.control;
  const b = c.clients.c;
  const lines = [
    '**1. Control path: QUERY round trip, per call**',
    '',
    `Timed in batches of ${b.batch} calls (${b.batches / b.runs} batches a round), ${b.runs} rounds; in each round the C bench runs, then the Node bench, whose clients take turns.`,
    '',
    '| client | median µs | p99 of batches µs | per-round medians µs | ratio to bare koffi, fixed (paired) | ratio to C (paired) | timer floor µs (share of a batch) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const toKoffi = { c: '—', backend: range(c.pairedRatio.backendToKoffiFixed), koffiFixed: '1', koffiVariadic: range(c.pairedRatio.koffiVariadicToKoffiFixed) };
  const toC = { c: '1', backend: range(c.pairedRatio.backendToC), koffiFixed: range(c.pairedRatio.koffiFixedToC), koffiVariadic: range(c.pairedRatio.koffiVariadicToC) };
  for (const { key, label } of QUERY_CLIENTS) {
    const x = c.clients[key];
    lines.push(
      `| ${label} | ${us(x.medianNs)} | ${us(x.p99Ns)} | ${us(x.perRunMedianNs.min)}–${us(x.perRunMedianNs.max)} | ${toKoffi[key]} | ${toC[key]} | ${us(x.timerOverheadNs)} (${percent(x.timerShareOfBatch)}) |`,
    );
  }
  return lines;
}

function allocationSection(r) {
  const a = r.allocation;
  const lines = [
    '**2. Allocation cost vs size: ALLOCATE + mmap + first touch + munmap + RELEASE (C)**',
    '',
    '| size | pages | total µs | ns/page | allocate µs | mmap µs | touch µs | munmap µs | release µs | memset µs | anon mmap+touch+munmap µs |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const phases = (p) => `${us(p.allocate)} | ${us(p.map)} | ${us(p.touch)} | ${us(p.unmap)} | ${us(p.release)}`;
  const first = a.firstOfRound;
  lines.push(`| ${formatBytes(first.size)}, first of a round | ${first.size / a.pageSize} | ${us(first.totalNs.median)} ${pct(first.totalNs)} | — | ${phases(first.phasesMedianNs)} | — | — |`);
  for (const s of a.sizes)
    lines.push(
      `| ${formatBytes(s.size)} | ${s.pages} | ${us(s.totalNs.median)} ${pct(s.totalNs)} | ${f(s.perPageNs)} | ${phases(s.phasesMedianNs)} | ${us(s.memsetNs.median)} | ${us(s.anonTouchNs.median)} |`,
    );
  lines.push('', '| least-squares fit, time vs pages | slope ns/page | intercept µs | R² |', '|---|---:|---:|---:|');
  for (const [name, x] of [['driver cycle (medians)', a.fit.driver], ['driver cycle (fastest run of each size)', a.fit.driverFastest], ['memset (pre-faulted)', a.fit.memset], ['anonymous mmap + touch + munmap', a.fit.anonTouch]])
    lines.push(`| ${name} | ${f(x.slopeNsPerPage)} | ${f(x.interceptUs)} | ${f(x.r2, 5)} |`);
  return lines;
}

function dataPathSection(r) {
  const sizes = r.dataPath.sizes;
  const head = (first) => [`| ${first} | ${sizes.map((s) => formatBytes(s.size)).join(' | ')} |`, `|---|${sizes.map(() => '---:').join('|')}|`];
  const rows = (table, cell) => DATA_VARIANTS.filter((v) => v.table === table).map((v) => `| ${v.label} | ${sizes.map((s) => cell(s, v)).join(' | ')} |`);
  const gbps = (s, v) => `${f(s.variants[v.key].gbps.median)} ${pct(s.variants[v.key].gbps)}`;
  return [
    '**3. Data path: every 32-bit word of N MiB the driver holds, summed**',
    '',
    'Warm (mapping and buffers made once): GB/s, and in brackets the time relative to the same loop over ordinary memory in the same language (paired).',
    '',
    ...head('path'),
    ...rows('read', (s, v) => `${gbps(s, v)} (${f(s.toReference[v.key].median, 3)})`),
    '',
    'The copy alone, GB/s:',
    '',
    ...head('copy'),
    ...rows('copy', gbps),
    '',
    'One-shot: a single read of N MiB, set-up included (C), ms, against the warm read:',
    '',
    ...head('read of N MiB'),
    `| in place, warm (mapping already made) | ${sizes.map((s) => ms(s.variants.cMapped.timeNs.median)).join(' | ')} |`,
    ...rows('oneShot', (s, v) => ms(s.variants[v.key].timeNs.median)),
    `| pread + loop / in place, warm (paired) | ${sizes.map((s) => range(s.pairedTimeRatio.cPreadToMapped)).join(' | ')} |`,
    `| one-shot pread / one-shot mapping (paired) | ${sizes.map((s) => range(s.pairedTimeRatio.cOneShotPreadToMapped)).join(' | ')} |`,
  ];
}

function uiSection(r) {
  const lines = [
    '**4. UI round trip: click Fill view → values painted (browser mode, headless Chromium)**',
    '',
    '| driver | clicks | painted median ms | painted p95 ms | DOM updated median ms | DOM updated p95 ms |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const [name, u] of [['simulated (server on the host)', r.ui.simulated], ['Linux module in the VM (server in the guest)', r.ui.vm]]) {
    if (u.skipped) lines.push(`| ${name} | skipped: ${u.skipped} | | | | |`);
    else lines.push(`| ${name} | ${u.clicks} | ${f(u.paintedMedianMs)} | ${f(u.paintedP95Ms)} | ${f(u.committedMedianMs)} | ${f(u.committedP95Ms)} |`);
  }
  const sf = r.ui.streamFrames;
  if (sf && !sf.skipped)
    lines.push(
      `**4b. The window while streaming ${sf.rateHz} records/s (simulated driver, headless Chromium): requestAnimationFrame deltas**`,
      '',
      '| page | frames | p50 ms | p95 ms | max ms | records/s the window counted |',
      '|---|---:|---:|---:|---:|---:|',
      `| idle (same page, before the stream) | ${sf.idle.frames} | ${f(sf.idle.p50Ms)} | ${f(sf.idle.p95Ms)} | ${f(sf.idle.maxMs)} | — |`,
      `| streaming | ${sf.streaming.frames} | ${f(sf.streaming.p50Ms)} | ${f(sf.streaming.p95Ms)} | ${f(sf.streaming.maxMs)} | ${Math.round(sf.recordsPerSecond)} |`,
      '',
    );
  return lines;
}

function targetValue(t) {
  if (t.value === null) return '—';
  if (t.id === 'mapped-vs-ordinary') return `${f(t.value)} (worst, at ${formatBytes(t.worstSize)})`;
  if (t.id === 'mapped-vs-copy-64MiB') return `${f(t.value)} (one-shot: ${f(t.oneShot)})`;
  return f(t.value);
}

function targetsSection(r) {
  return [
    '**Targets**',
    '',
    '| target | measured | verdict |',
    '|---|---:|---|',
    ...r.targets.map((t) => `| ${t.description} | ${targetValue(t)} | ${t.met === null ? `not measured (${t.note})` : t.met ? 'met' : 'MISSED'} |`),
  ];
}

export function markdownTable(r) {
  return [environmentSection(r), controlSection(r), allocationSection(r), dataPathSection(r), uiSection(r), [streamingTable(r.streaming)], targetsSection(r)]
    .map((section) => section.join('\n'))
    .join('\n\n');
}

const mb = (s) => formatBytes(s.size);

/** The Electron-allowed copy that took least time with the loop, at one size. */
function fastestCopy(s) {
  return ELECTRON_COPIES.reduce((a, b) => (s.variants[b].timeNs.median < s.variants[a].timeNs.median ? b : a));
}

function dataPathFindings(r) {
  const out = [];
  const ds = r.dataPath.sizes;
  const largest = ds.at(-1);
  const label = Object.fromEntries(r.dataPath.variants.map((v) => [v.key, v.label.replace(/^\([a-e]\) |^ref: |^context: /, '').replace(/, then the loop$/, '').replace(/^(Node|C), /, '')]));
  const mapped = ds.map((s) => s.toReference.cMapped.median);
  const target = r.targets.find((t) => t.id === 'mapped-vs-ordinary');
  out.push(
    `Reading in place in C took ${f(Math.min(...mapped))}–${f(Math.max(...mapped))}x the time of the same loop over an ordinary buffer across ${formatBytes(ds[0].size)}–${mb(largest)} ` +
      `(paired medians per size: ${ds.map((s) => `${mb(s)} ${f(s.toReference.cMapped.median)}`).join(', ')}; ` +
      `the fastest run of each against the fastest of the other: ${target.perSize.map((p) => `${formatBytes(p.size)} ${f(p.fastestRuns)}`).join(', ')}). ` +
      `memcpy, which loads and stores, is context, not the reference: the in-place read took ${f(largest.pairedTimeRatio.cMappedToMemcpy.median)}x memcpy's time at ${mb(largest)}.`,
  );
  const s64 = ds.find((s) => s.size === 64 * 2 ** 20) ?? largest;
  const p = s64.pairedTimeRatio;
  out.push(
    `At ${mb(s64)}, warm (mapping and buffer made once), pread + loop took ${f(p.cPreadToMapped.median)}x the in-place read; pread alone was ` +
      `${f((s64.variants.cPreadOnly.timeNs.median / s64.variants.cPread.timeNs.median) * 100, 2)}% of it. ` +
      `One-shot (a single read, set-up included), a new buffer + pread + loop took ${f(p.cOneShotPreadToMapped.median)}x mmap + loop + munmap ` +
      `(${ms(s64.variants.cPreadFresh.timeNs.median)} vs ${ms(s64.variants.cMapOnce.timeNs.median)} ms); mmap + munmap made the one-shot in-place read ` +
      `${f(p.cMapOnceToMapped.median)}x the warm one.`,
  );
  const winners = ds.map(fastestCopy);
  const best = winners.at(-1);
  const same = winners.filter((w) => w === best).length;
  out.push(
    `Of the copies Electron allows in Node, ${label[best]} took least time at ${mb(largest)} ` +
      `(${same === ds.length ? 'and at every size' : `and at ${same} of ${ds.length} sizes`}): ` +
      ELECTRON_COPIES.map((k) => `${label[k]} ${f(largest.toReference[k].median)}x`).join(', ') +
      ` the same loop over a JS Uint32Array (paired), against ${f(largest.toReference.nodeView.median)}x for koffi.view (zero copy, plain Node only)` +
      ` and ${f(largest.toReference.nodePread.median)}x for pread.`,
  );
  return out;
}

function controlFindings(r) {
  const c = r.control;
  const x = c.clients;
  const p = c.pairedRatio;
  const w = x.backend.warmup;
  const warmup = w.calls
    ? [
        `Warm-up: the first ${x.backend.batch} calls through the backend took ${us(w.firstBatchNs)} µs each, the last ${x.backend.batch} of its ` +
          `${w.calls} warm-up calls ${us(w.lastBatchNs)} µs (the bare koffi call: ${us(x.koffiFixed.warmup.firstBatchNs)} and ${us(x.koffiFixed.warmup.lastBatchNs)} µs); only calls after the warm-up are in the table.`,
      ]
    : [];
  return [
    `QUERY per call: the app's backend ${us(x.backend.medianNs)} µs, the bare koffi ioctl with a fixed prototype ${us(x.koffiFixed.medianNs)} µs, ` +
      `so the backend took ${times(p.backendToKoffiFixed)} the bare call (paired per round); a variadic binding of the same call took ` +
      `${times(p.koffiVariadicToKoffiFixed)} the fixed one. C took ${us(x.c.medianNs)} µs: the backend ${f(p.backendToC.median)}x, the bare koffi call ${f(p.koffiFixedToC.median)}x that.`,
    `The clock's floor was ${f(x.c.timerOverheadNs, 2)} ns in C and ${f(x.backend.timerOverheadNs, 3)} ns in Node, at most ` +
      `${percent(Math.max(...QUERY_CLIENTS.map(({ key }) => x[key].timerShareOfBatch)))} of a timed batch. ` +
      `The slowest 1% of batches took ${us(x.backend.p99Ns)} µs per call through the backend and ${us(x.koffiFixed.p99Ns)} µs through the bare call.`,
    ...warmup,
  ];
}

function allocationFindings(r) {
  const a = r.allocation;
  const fit = a.fit;
  const largest = a.sizes.at(-1);
  const firstSize = a.sizes[0];
  const share = largest.phasesMedianNs.allocate / largest.totalNs.median;
  const fp = a.firstOfRound.phasesMedianNs;
  return [
    `Allocation: ${f(fit.driver.slopeNsPerPage)} ns per page (R² ${f(fit.driver.r2, 4)} on medians, ${f(fit.driverFastest.r2, 4)} on the fastest run of each size) ` +
      `against ${f(fit.memset.slopeNsPerPage)} ns per page for memset of a pre-faulted buffer and ${f(fit.anonTouch.slopeNsPerPage)} ns for an anonymous mapping's first touch.`,
    `At ${mb(largest)}, ALLOCATE was ${f(share * 100, 2)}% of the cycle: ${f(largest.phasesMedianNs.allocate / largest.pages)} ns per page, against ` +
      `${f(largest.memsetNs.median / largest.pages)} ns per page for memset of the same size; the first touch took ${f(largest.phasesMedianNs.touch / largest.pages)} ns per page.`,
    `The cycle opening each round (${mb(firstSize)}, straight after the previous round's ${mb(largest)} cycle) took ${us(a.firstOfRound.totalNs.median)} µs ` +
      `(mmap ${us(fp.map)}, munmap ${us(fp.unmap)}), against ${us(firstSize.totalNs.median)} µs (mmap ${us(firstSize.phasesMedianNs.map)}, munmap ${us(firstSize.phasesMedianNs.unmap)}) ` +
      `for the ${mb(firstSize)} cycle after it, which is the table's ${mb(firstSize)} point.`,
  ];
}

function uiFindings(r) {
  const ui = r.ui;
  const out = [];
  if (!ui.simulated.skipped && !ui.vm.skipped)
    out.push(
      `UI: Fill view to painted values took ${f(ui.simulated.paintedMedianMs)} ms (p95 ${f(ui.simulated.paintedP95Ms)}) with the simulated driver ` +
        `and ${f(ui.vm.paintedMedianMs)} ms (p95 ${f(ui.vm.paintedP95Ms)}) with the module in the emulated guest.`,
    );
  const sf = ui.streamFrames;
  if (sf && !sf.skipped)
    out.push(
      `The window streaming ${sf.rateHz} records/s from the simulated driver (server on the host): frame times p50 ${f(sf.streaming.p50Ms)} ms, ` +
        `p95 ${f(sf.streaming.p95Ms)} ms, max ${f(sf.streaming.maxMs)} ms, against p95 ${f(sf.idle.p95Ms)} ms for the same page idle; ` +
        `it counted ${Math.round(sf.recordsPerSecond)} records/s. The guest's module cannot produce that rate under emulation, so this part runs on the simulated driver.`,
    );
  return out;
}

/** Which of this run's ratios the emulator bends, and by what this run measured. */
function emulationFindings(r) {
  const so = r.stringOps;
  const flags = r.environment.guest.stringOpFlags ?? {};
  const set = Object.entries(flags).filter(([, on]) => on).map(([k]) => k);
  return [
    `rep movsb/stosb: at ${formatBytes(so.size)}, glibc's memset took ${f(so.repPenalty.memset, 2)}x and memcpy ${f(so.repPenalty.memcpy, 2)}x as long with them as with ` +
      `its vector loops (GLIBC_TUNABLES rep thresholds raised). The guest CPU reports ${set.length ? set.join(', ') : 'none of erms, fsrm, rep_good'}, with which Linux 6.1 ` +
      'copies to user space (pread) and clears pages (ALLOCATE) with rep string instructions: the copy path\'s ratio to reading in place, and ALLOCATE\'s cost per page against memset, are larger here than on hardware.',
    'Node against C (the QUERY ratios to C, Node\'s reads against C\'s): JIT-compiled code is translated too, while C\'s ioctl is mostly kernel work; how much that bends these ratios cannot be measured under TCG (it needs a run with KVM or on hardware). ' +
      'The QUERY target compares the backend with the bare koffi call in the same process, so both sides run through the same translation.',
    'Page faults (the anonymous mapping\'s first touch, the one-shot pread\'s new buffer) trap into the emulated kernel; their cost per page here says nothing about hardware.',
  ];
}

/**
 * What the numbers say, in sentences built from them (so a new run cannot
 * leave stale prose behind), and what the emulator bends.
 */
export function findings(r) {
  const said = [...dataPathFindings(r), ...controlFindings(r), ...allocationFindings(r), ...uiFindings(r), ...streamingFindings(r.streaming)];
  return [
    ...said.map((line) => `- ${line}`),
    '',
    '**What TCG distorts**',
    '',
    ...emulationFindings(r).map((line) => `- ${line}`),
  ].join('\n');
}
