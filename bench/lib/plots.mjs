// The bench's two figures, drawn from results.json:
//   allocation-cost.svg  time and time per page vs size, driver vs user-space zeroing
//   data-path.svg        bandwidth of every data path vs size
import { figure, formatBytes, formatNumber, panel, PALETTE } from './svg-plot.mjs';

const sizeAxis = { log: true, base: 4, format: formatBytes };
// The same thing keeps its colour in both panels.
const COLOR = { driver: PALETTE[0], fit: PALETTE[1], anon: PALETTE[2], memset: PALETTE[3] };

export function allocationCostSvg(r) {
  const sizes = r.allocation.sizes;
  const fit = r.allocation.fit.driver;
  const us = (ns) => ns / 1e3;
  const time = panel({
    x: 0, y: 0, width: 560, height: 420,
    title: 'Cost vs size (log-log)',
    xLabel: 'allocation size (bytes)', yLabel: 'time per cycle (µs)',
    xAxis: sizeAxis, yAxis: { log: true, format: formatNumber },
    series: [
      { name: 'driver: ALLOCATE+mmap+touch+munmap+RELEASE', color: COLOR.driver, points: sizes.map((s) => [s.size, us(s.totalNs.median)]) },
      {
        name: `linear fit: ${fit.slopeNsPerPage.toFixed(0)} ns/page, R²=${fit.r2.toFixed(4)}`,
        points: sizes.map((s) => [s.size, Math.max(us(fit.slopeNsPerPage * s.pages + fit.interceptUs * 1e3), 1e-3)]),
        dashed: true, marker: false, color: COLOR.fit,
      },
      { name: 'user: anonymous mmap + touch + munmap', color: COLOR.anon, points: sizes.map((s) => [s.size, us(s.anonTouchNs.median)]) },
      { name: 'user: memset (zeroing floor)', color: COLOR.memset, points: sizes.map((s) => [s.size, us(s.memsetNs.median)]) },
    ],
  });
  const perPage = panel({
    x: 560, y: 0, width: 560, height: 420,
    title: 'Cost per page',
    xLabel: 'allocation size (bytes)', yLabel: 'ns per 4 KiB page',
    xAxis: sizeAxis, yAxis: { log: true, format: formatNumber },
    series: [
      { name: 'driver cycle', color: COLOR.driver, points: sizes.map((s) => [s.size, s.totalNs.median / s.pages]) },
      { name: 'anonymous mmap + touch + munmap', color: COLOR.anon, points: sizes.map((s) => [s.size, s.anonTouchNs.median / s.pages]) },
      { name: 'memset', color: COLOR.memset, points: sizes.map((s) => [s.size, s.memsetNs.median / s.pages]) },
    ],
  });
  return figure({
    width: 1120, height: 440,
    caption: `SharedMemory bench, ${r.date}: guest Linux ${r.environment.guest.kernel} under QEMU ${r.environment.accelerator} (medians of ${sizes[0].totalNs.runs} runs)`,
    panels: [time, perPage],
  });
}

export function dataPathSvg(r) {
  const sizes = r.dataPath.sizes;
  const main = ['cMapped', 'nodeView', 'nodeDecode', 'cPread', 'nodePread', 'memcpy'];
  const labels = Object.fromEntries(r.dataPath.variants.map((v) => [v.key, v.label]));
  const bandwidth = panel({
    x: 0, y: 0, width: 700, height: 460,
    title: 'Reading N MiB the driver holds: bandwidth',
    xLabel: 'bytes read', yLabel: 'GB/s (log)',
    xAxis: sizeAxis, yAxis: { log: true, format: formatNumber },
    series: main.map((k) => ({ name: labels[k], points: sizes.map((s) => [s.size, s.variants[k].gbps.median]), dashed: k === 'memcpy' })),
  });
  const largest = sizes.at(-1);
  const ratios = panel({
    x: 700, y: 0, width: 420, height: 460,
    title: `Ratio to memcpy at ${formatBytes(largest.size)}`,
    xLabel: 'path (a..e, see legend left)', yLabel: 'bandwidth / memcpy bandwidth',
    xAxis: { log: false, min: 0, max: main.length + 1, step: 1, format: (i) => (Number.isInteger(i) && i >= 1 && i <= main.length ? ['a', 'b', 'c', 'd C', 'd N', 'e'][i - 1] : '') },
    yAxis: { log: false, format: formatNumber },
    series: [{ name: 'ratio to (e)', bars: true, points: main.map((k, i) => [i + 1, largest.ratioToMemcpy[k], PALETTE[i]]) }],
  });
  return figure({
    width: 1120, height: 480,
    caption: `SharedMemory bench, ${r.date}: every path reads every 32-bit word once; guest under QEMU ${r.environment.accelerator}`,
    panels: [bandwidth, ratios],
  });
}
