// The bench's figures, drawn from results.json:
//   allocation-cost.svg  time and time per page vs size, driver vs user-space zeroing
//   data-path.svg        bandwidth of the data paths vs size, and each one's time
//                        relative to the same loop over ordinary memory
//   query.svg            QUERY median per call by client, and the target's
//                        ratio over rounds
import { figure, formatBytes, formatNumber, panel, PALETTE } from './svg-plot.mjs';
import { QUERY_CLIENTS } from './summarize.mjs';

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
        // Drawn where the line is above zero (a negative intercept would
        // otherwise stretch the log axis down to nothing).
        points: sizes.map((s) => [s.size, us(fit.slopeNsPerPage * s.pages + fit.interceptUs * 1e3)]).filter(([, t]) => t > 0),
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
  const labels = Object.fromEntries(r.dataPath.variants.map((v) => [v.key, v.label]));
  const references = new Set(['cUserSum', 'nodePlainSum']);
  const shown = ['cMapped', 'cUserSum', 'cPread', 'nodeView', 'nodePlainSum', 'nodeDecode', 'nodeMemcpyReused', 'nodePread'];
  const color = Object.fromEntries(shown.map((k, i) => [k, PALETTE[i]]));
  const bandwidth = panel({
    x: 0, y: 0, width: 620, height: 620, legendBelow: true,
    title: 'Reading N MiB the driver holds: bandwidth',
    xLabel: 'bytes read', yLabel: 'GB/s (log)',
    xAxis: sizeAxis, yAxis: { log: true, format: formatNumber },
    series: shown.map((k) => ({ name: labels[k], color: color[k], points: sizes.map((s) => [s.size, s.variants[k].gbps.median]), dashed: references.has(k) })),
  });
  const relative = shown.filter((k) => !references.has(k));
  const ratios = panel({
    x: 620, y: 0, width: 500, height: 620, legendBelow: true,
    title: 'Time relative to the same loop over ordinary memory',
    xLabel: 'bytes read', yLabel: 'time / reference time (paired, log)',
    xAxis: sizeAxis, yAxis: { log: true, format: formatNumber },
    series: [
      ...relative.map((k) => ({ name: labels[k].replace(/, then the loop$/, ''), color: color[k], points: sizes.map((s) => [s.size, s.toReference[k].median]) })),
      { name: 'target for (a): 1.25', color: '#7f7f7f', dashed: true, marker: false, points: sizes.map((s) => [s.size, 1.25]) },
    ],
  });
  return figure({
    width: 1120, height: 640,
    caption: `SharedMemory bench, ${r.date}: every path reads every 32-bit word once; guest under QEMU ${r.environment.accelerator}`,
    panels: [bandwidth, ratios],
  });
}

export function querySvg(r) {
  const clients = QUERY_CLIENTS.map((c, i) => ({ ...c, i }));
  const names = ['C', 'backend', 'koffi fixed', 'koffi variadic'];
  const perCall = panel({
    x: 0, y: 0, width: 620, height: 420,
    title: 'QUERY round trip, median per call',
    xLabel: 'client (1 C, 2 the app\'s backend, 3 bare koffi fixed, 4 bare koffi variadic)', yLabel: 'µs per call',
    xAxis: { log: false, min: 0, max: clients.length + 1, step: 1, format: (i) => names[i - 1] ?? '' },
    yAxis: { log: false, format: formatNumber },
    series: [{ name: 'median per call', bars: true, points: clients.map((c) => [c.i + 1, r.control.clients[c.key].medianNs / 1e3, PALETTE[c.i]]) }],
  });
  const rounds = r.control.clients.c.runs;
  const ratioPanel = panel({
    x: 620, y: 0, width: 500, height: 420,
    title: "The app's backend / bare koffi call, per round",
    xLabel: 'statistic over rounds', yLabel: 'time ratio (paired per round)',
    xAxis: { log: false, min: 0, max: 4, step: 1, format: (i) => ['', 'min', 'median', 'max'][i] ?? '' },
    yAxis: { log: false, format: formatNumber },
    series: [{
      name: `backend / koffi fixed over ${rounds} rounds`,
      bars: true,
      points: ['min', 'median', 'max'].map((k, i) => [i + 1, r.control.pairedRatio.backendToKoffiFixed[k], PALETTE[1]]),
    }, { name: 'target: 1.25', color: '#7f7f7f', dashed: true, marker: false, points: [[0.5, 1.25], [3.5, 1.25]] }],
  });
  return figure({
    width: 1120, height: 440,
    caption: `SharedMemory bench, ${r.date}: batches of ${r.control.clients.c.batch} calls; guest under QEMU ${r.environment.accelerator}`,
    panels: [perCall, ratioPanel],
  });
}
