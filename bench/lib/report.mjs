// The bench's human-readable table (markdown, printed and put in bench/README.md).
import { formatBytes } from './svg-plot.mjs';
import { streamingFindings, streamingTable } from './streaming-report.mjs';

const f = (v, digits = 3) => (v === null || v === undefined ? '—' : Number(v).toPrecision(digits));
const us = (ns) => f(ns / 1e3);
const pct = (s) => `±${(s.relSpread * 50).toFixed(0)}%`;

export function markdownTable(r) {
  const lines = [];
  const env = r.environment;
  lines.push(
    `Run ${r.date} (${r.profile} profile, ${r.durationSeconds.toFixed(0)} s). Guest: Linux ${env.guest.kernel}, ` +
      `${env.guest.cpuCount} vCPU "${env.guest.cpuModel}", ${env.guest.memoryMiB} MiB, QEMU ${env.qemu} accel ${env.accelerator}; ` +
      `host CPU "${env.host.cpuModel}" (${env.host.cpuCount} cores, load average ${f(env.host.loadAverage.start, 2)} at the start, ${f(env.host.loadAverage.end, 2)} at the end). Medians over runs after a warm-up; ±x% is half the min–max spread of the runs.`,
  );
  lines.push('');
  lines.push('**1. Control path: QUERY round trip, per call**');
  lines.push('');
  lines.push('| client | median µs | p99 µs | per-run medians µs | ratio to C (median / p99) | timer floor µs |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  const c = r.control;
  const row = (name, x, ratio) =>
    lines.push(`| ${name} | ${us(x.medianNs)} | ${us(x.p99Ns)} | ${us(x.perRunMedianNs.min)}–${us(x.perRunMedianNs.max)} | ${ratio} | ${us(x.timerOverheadNs)} |`);
  row('C, ioctl()', c.c, '1');
  row("Node, the app's Linux backend (koffi)", c.nodeBackend, `${f(c.ratio.medianBackendToC)} / ${f(c.ratio.p99BackendToC)}`);
  row('Node, same ioctl and DeviceInfo, reused buffer, no BigInt', c.nodeLean, `${f(c.ratio.medianLeanToC)} / —`);
  row('Node, as above with the fixed-prototype binding', c.nodeLeanFixed, `${f(c.ratio.medianLeanFixedToC)} / —`);
  row('Node, bare koffi ioctl, variadic binding (as the backend)', c.nodeKoffiRaw, `${f(c.ratio.medianKoffiRawToC)} / —`);
  row('Node, bare koffi ioctl, fixed-prototype binding', c.nodeKoffiFixed, `${f(c.ratio.medianKoffiFixedToC)} / —`);
  lines.push('');

  lines.push('**2. Allocation cost vs size: ALLOCATE + mmap + first touch + munmap + RELEASE (C)**');
  lines.push('');
  lines.push('| size | pages | total µs | ns/page | allocate µs | mmap µs | touch µs | munmap µs | release µs | memset µs | anon mmap+touch+munmap µs |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of r.allocation.sizes) {
    const p = s.phasesMedianNs;
    lines.push(
      `| ${formatBytes(s.size)} | ${s.pages} | ${us(s.totalNs.median)} ${pct(s.totalNs)} | ${f(s.perPageNs)} | ${us(p.allocate)} | ${us(p.map)} | ${us(p.touch)} | ${us(p.unmap)} | ${us(p.release)} | ${us(s.memsetNs.median)} | ${us(s.anonTouchNs.median)} |`,
    );
  }
  lines.push('');
  lines.push('| least-squares fit, time vs pages | slope ns/page | intercept µs | R² |');
  lines.push('|---|---:|---:|---:|');
  const fit = r.allocation.fit;
  for (const [name, x] of [['driver cycle (medians)', fit.driver], ['driver cycle (fastest run of each size)', fit.driverFastest], ['memset (pre-faulted)', fit.memset], ['anonymous mmap + touch + munmap', fit.anonTouch]])
    lines.push(`| ${name} | ${f(x.slopeNsPerPage)} | ${f(x.interceptUs)} | ${f(x.r2, 5)} |`);
  lines.push('');

  lines.push('**3. Data path: read every byte of N MiB the driver holds, GB/s (ratio to memcpy)**');
  lines.push('');
  const sizes = r.dataPath.sizes;
  lines.push(`| path | ${sizes.map((s) => formatBytes(s.size)).join(' | ')} |`);
  lines.push(`|---|${sizes.map(() => '---:').join('|')}|`);
  for (const v of r.dataPath.variants) {
    const cells = sizes.map((s) => {
      const x = s.variants[v.key];
      return `${f(x.gbps.median)} ${pct(x.gbps)} (${f(s.ratioToMemcpy[v.key], 2)})`;
    });
    lines.push(`| ${v.label} | ${cells.join(' | ')} |`);
  }
  lines.push('');

  lines.push('Time ratios paired within each round (median over rounds, min–max), which cancel load bursts that hit one round:');
  lines.push('');
  lines.push(`| time ratio | ${sizes.map((s) => formatBytes(s.size)).join(' | ')} |`);
  lines.push(`|---|${sizes.map(() => '---:').join('|')}|`);
  for (const [key, name] of [
    ['cMappedToMemcpy', 'C: mapping read / memcpy'],
    ['cMappedToUserSum', 'C: mapping read / same read of a user buffer'],
    ['cPreadToMapped', 'C: pread + read / mapping read'],
    ['nodeViewToPlainSum', 'Node: koffi.view read / same read of a JS array'],
    ['nodeDecodeToView', 'Node: koffi.decode + read / koffi.view read'],
    ['nodePreadToView', 'Node: pread + read / koffi.view read'],
  ]) {
    lines.push(`| ${name} | ${sizes.map((s) => { const x = s.pairedTimeRatio[key]; return `${f(x.median)} (${f(x.min, 2)}–${f(x.max, 2)})`; }).join(' | ')} |`);
  }
  lines.push('');

  lines.push('**4. UI round trip: click Fill view → values painted (browser mode, headless Chromium)**');
  lines.push('');
  lines.push('| driver | clicks | painted median ms | painted p95 ms | DOM updated median ms | DOM updated p95 ms |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const [name, u] of [['simulated (server on the host)', r.ui.simulated], ['Linux module in the VM (server in the guest)', r.ui.vm]]) {
    if (u.skipped) lines.push(`| ${name} | skipped: ${u.skipped} | | | | |`);
    else lines.push(`| ${name} | ${u.clicks} | ${f(u.paintedMedianMs)} | ${f(u.paintedP95Ms)} | ${f(u.committedMedianMs)} | ${f(u.committedP95Ms)} |`);
  }
  lines.push('');
  const sf = r.ui.streamFrames;
  if (sf && !sf.skipped) {
    lines.push(`**4b. The window while streaming ${sf.rateHz} records/s (simulated driver, headless Chromium): requestAnimationFrame deltas**`);
    lines.push('');
    lines.push('| page | frames | p50 ms | p95 ms | max ms | records/s the window counted |');
    lines.push('|---|---:|---:|---:|---:|---:|');
    lines.push(`| idle (same page, before the stream) | ${sf.idle.frames} | ${f(sf.idle.p50Ms)} | ${f(sf.idle.p95Ms)} | ${f(sf.idle.maxMs)} | — |`);
    lines.push(`| streaming | ${sf.streaming.frames} | ${f(sf.streaming.p50Ms)} | ${f(sf.streaming.p95Ms)} | ${f(sf.streaming.maxMs)} | ${Math.round(sf.recordsPerSecond)} |`);
    lines.push('');
  }

  lines.push(streamingTable(r.streaming));

  const so = r.stringOps;
  lines.push(
    `**Emulation note.** TCG runs \`rep movsb\`/\`rep stosb\` one element at a time. At ${formatBytes(so.size)}, glibc's memset is ` +
      `${f(so.repPenalty.memset, 2)}x and memcpy ${f(so.repPenalty.memcpy, 2)}x slower with them than with its vector loops ` +
      `(GLIBC_TUNABLES rep thresholds raised). The kernel's copy_to_user (pread) and page clearing (ALLOCATE) always use them here, ` +
      'so on this guest they are slower relative to mapped reads than on hardware.',
  );
  lines.push('');
  lines.push('**Targets**');
  lines.push('');
  lines.push('| target | measured | verdict |');
  lines.push('|---|---:|---|');
  for (const t of r.targets)
    lines.push(`| ${t.description} | ${t.value === null ? '—' : f(t.value)} | ${t.met === null ? `not measured (${t.note})` : t.met ? 'met' : 'MISSED'} |`);
  return lines.join('\n');
}

/**
 * What the numbers say, in sentences built from them (so a new run cannot
 * leave stale prose behind): the headline ratios and, for each missed target,
 * the measured reason and what would fix it.
 */
export function findings(r) {
  const out = [];
  const ds = r.dataPath.sizes;
  const largest = ds.at(-1);
  const mb = (s) => formatBytes(s.size);
  const v = (s, k) => s.variants[k].gbps.median;
  const pr = largest.pairedTimeRatio;
  const asOrdinary = pr.cMappedToUserSum.median >= 0.8 && pr.cMappedToUserSum.median <= 1.25;
  out.push(
    `At ${mb(largest)}, reading in place through the mapping in C took ${f(pr.cMappedToMemcpy.median)}x the time of a memcpy of the same size ` +
      `and ${f(pr.cMappedToUserSum.median)}x the time of the same loop over an ordinary user buffer (paired medians)` +
      (asOrdinary ? ": to the reader, the driver's pages are ordinary cached memory." : '.'),
  );
  const s64 = ds.find((s) => s.size === 64 * 2 ** 20) ?? largest;
  out.push(
    `The copy path (pread, then the same read) took ${f(s64.pairedTimeRatio.cPreadToMapped.median)}x the time of reading in place at ${mb(s64)} in C ` +
      `(${f(v(s64, 'cPread'))} vs ${f(v(s64, 'cMapped'))} GB/s); pread alone was ` +
      `${f(s64.variants.cPreadOnly.timeNs.median / s64.variants.cPread.timeNs.median * 100, 2)}% of it, and that copy is what TCG slows most (see the emulation note).`,
  );
  out.push(
    `In Node at ${mb(largest)}: koffi.view (zero copy) ${f(v(largest, 'nodeView'))} GB/s, koffi.decode (the copy Electron needs) ` +
      `${f(v(largest, 'nodeDecode'))} GB/s, pread ${f(v(largest, 'nodePread'))} GB/s. The same JS loop over a plain array ran at ` +
      `${f(v(largest, 'nodePlainSum'))} GB/s; paired, the view read took ${f(pr.nodeViewToPlainSum.median)}x the plain-array read, decode + read ` +
      `${f(pr.nodeDecodeToView.median)}x and pread + read ${f(pr.nodePreadToView.median)}x the view read.`,
  );
  const c = r.control;
  out.push(
    `QUERY: C ${f(c.c.medianNs / 1e3)} µs per call; a bare koffi call ${f(c.ratio.medianKoffiRawToC, 2)}x that ` +
      `(${f(c.ratio.medianKoffiFixedToC, 2)}x with a fixed prototype); the app's backend ${f(c.ratio.medianBackendToC, 2)}x, ` +
      `the same call decoded into a reused buffer without BigInt ${f(c.ratio.medianLeanToC, 2)}x, and with the fixed prototype as well ${f(c.ratio.medianLeanFixedToC, 2)}x.`,
  );
  const fit = r.allocation.fit;
  out.push(
    `Allocation: ${f(fit.driver.slopeNsPerPage)} ns per page (R² ${f(fit.driver.r2, 4)} on medians, ${f(fit.driverFastest.r2, 4)} on the fastest run of each size) ` +
      `against ${f(fit.memset.slopeNsPerPage)} ns per page for memset and ${f(fit.anonTouch.slopeNsPerPage)} ns for an anonymous mapping's faults.`,
  );
  const ui = r.ui;
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
  out.push(...streamingFindings(r.streaming));
  return out.map((line) => `- ${line}`).join('\n');
}
