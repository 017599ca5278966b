// The bench's human-readable table (markdown, printed and put in bench/README.md).
import { formatBytes } from './svg-plot.mjs';

const f = (v, digits = 3) => (v === null || v === undefined ? '—' : Number(v).toPrecision(digits));
const us = (ns) => f(ns / 1e3);
const pct = (s) => `±${(s.relSpread * 50).toFixed(0)}%`;

export function markdownTable(r) {
  const lines = [];
  const env = r.environment;
  lines.push(
    `Run ${r.date} (${r.profile} profile, ${r.durationSeconds.toFixed(0)} s). Guest: Linux ${env.guest.kernel}, ` +
      `${env.guest.cpuCount} vCPU "${env.guest.cpuModel}", ${env.guest.memoryMiB} MiB, QEMU ${env.qemu} accel ${env.accelerator}; ` +
      `host CPU "${env.host.cpuModel}" (${env.host.cpuCount} cores). Medians over runs after a warm-up; ±x% is half the min–max spread of the runs.`,
  );
  lines.push('');
  lines.push('**1. Control path: QUERY round trip, per call**');
  lines.push('');
  lines.push('| client | median µs | p99 µs | per-run medians µs | ratio to C (median / p99) |');
  lines.push('|---|---:|---:|---:|---:|');
  const c = r.control;
  const row = (name, x, ratio) =>
    lines.push(`| ${name} | ${us(x.medianNs)} | ${us(x.p99Ns)} | ${us(x.perRunMedianNs.min)}–${us(x.perRunMedianNs.max)} | ${ratio} |`);
  row('C, ioctl()', c.c, '1');
  row("Node, the app's Linux backend (koffi)", c.nodeBackend, `${f(c.ratio.medianBackendToC)} / ${f(c.ratio.p99BackendToC)}`);
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
  for (const [name, x] of [['driver cycle', fit.driver], ['memset (pre-faulted)', fit.memset], ['anonymous mmap + touch + munmap', fit.anonTouch]])
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

  lines.push('**4. UI round trip: click Fill view → values painted (browser mode, headless Chromium)**');
  lines.push('');
  lines.push('| driver | clicks | painted median ms | painted p95 ms | DOM updated median ms | DOM updated p95 ms |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const [name, u] of [['simulated (server on the host)', r.ui.simulated], ['Linux module in the VM (server in the guest)', r.ui.vm]]) {
    if (u.skipped) lines.push(`| ${name} | skipped: ${u.skipped} | | | | |`);
    else lines.push(`| ${name} | ${u.clicks} | ${f(u.paintedMedianMs)} | ${f(u.paintedP95Ms)} | ${f(u.committedMedianMs)} | ${f(u.committedP95Ms)} |`);
  }
  lines.push('');

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
