// Structure and sanity checks on a results.json: every figure present,
// positive and finite, orderings that must hold (p99 >= median), plots
// well-formed. The bench-quick test stage fails on any of them.
import { validateStreaming } from './streaming-validate.mjs';

const finitePositive = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;

export function validateResults(r, { svgs = {} } = {}) {
  const checks = [];
  const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail });
  const skip = (name, why) => checks.push({ name, skipped: why });

  check('schema and profile', r.schema === 1 && typeof r.profile === 'string');
  const env = r.environment ?? {};
  check(
    'environment recorded (guest kernel, CPU model, accelerator, QEMU version)',
    env.guest?.kernel && env.guest?.cpuModel && env.accelerator === 'tcg' && /^\d+\.\d+/.test(env.qemu ?? ''),
    JSON.stringify({ kernel: env.guest?.kernel, cpu: env.guest?.cpuModel, accel: env.accelerator, qemu: env.qemu }),
  );

  for (const [name, x] of Object.entries(r.control ?? {})) {
    if (name === 'ratio') continue;
    check(
      `control ${name}: median and p99 positive, p99 >= median`,
      finitePositive(x.medianNs) && finitePositive(x.p99Ns) && x.p99Ns >= x.medianNs && x.calls > 0,
      `median ${x.medianNs} ns, p99 ${x.p99Ns} ns`,
    );
  }
  check('control ratios finite', Object.values(r.control?.ratio ?? {}).every(finitePositive) && Object.keys(r.control?.ratio ?? {}).length === 6);

  const sizes = r.allocation?.sizes ?? [];
  check('allocation: at least 3 sizes, powers of two from 4 KiB', sizes.length >= 3 && sizes[0].size === 4096 && sizes.every((s, i) => i === 0 || s.size === 2 * sizes[i - 1].size));
  for (const s of sizes) {
    check(
      `allocation ${s.size} B: cycle, phases, memset, anon touch positive`,
      finitePositive(s.totalNs?.median) && finitePositive(s.perPageNs) && finitePositive(s.memsetNs?.median) && finitePositive(s.anonTouchNs?.median) &&
        Object.values(s.phasesMedianNs ?? {}).length === 5 && Object.values(s.phasesMedianNs).every((v) => Number.isFinite(v) && v >= 0),
      `total ${s.totalNs?.median} ns`,
    );
  }
  for (const [name, f] of Object.entries(r.allocation?.fit ?? {}))
    check(`allocation fit ${name}: slope positive, R^2 in [0, 1]`, finitePositive(f.slopeNsPerPage) && Number.isFinite(f.interceptUs) && f.r2 >= 0 && f.r2 <= 1, `R^2 ${f.r2}`);

  const dsizes = r.dataPath?.sizes ?? [];
  check('data path: at least 2 sizes', dsizes.length >= 2);
  for (const s of dsizes) {
    const bad = Object.entries(s.variants).filter(([, v]) => !finitePositive(v.gbps.median) || !finitePositive(v.timeNs.median));
    check(`data path ${s.size} B: ${Object.keys(s.variants).length} paths, all GB/s positive and finite`, bad.length === 0 && Object.keys(s.variants).length === r.dataPath.variants.length, bad.map(([k]) => k).join(', '));
    check(`data path ${s.size} B: memcpy ratio is 1`, Math.abs(s.ratioToMemcpy.memcpy - 1) < 1e-12);
    const paired = Object.values(s.pairedTimeRatio ?? {});
    check(`data path ${s.size} B: six paired ratios, positive and finite`, paired.length === 6 && paired.every((x) => finitePositive(x.median) && finitePositive(x.min)));
  }

  const { streamFrames, ...roundTrips } = r.ui ?? {};
  for (const [name, u] of Object.entries(roundTrips)) {
    if (u.skipped) skip(`ui ${name}`, u.skipped);
    else
      check(
        `ui ${name}: painted median and p95 positive, p95 >= median, paint after DOM update`,
        finitePositive(u.paintedMedianMs) && finitePositive(u.paintedP95Ms) && u.paintedP95Ms >= u.paintedMedianMs && u.paintedMedianMs >= u.committedMedianMs && u.clicks > 0,
        `median ${u.paintedMedianMs} ms, p95 ${u.paintedP95Ms} ms over ${u.clicks} clicks`,
      );
  }

  if (!streamFrames || streamFrames.skipped) skip('ui frame times while streaming', streamFrames?.skipped ?? 'not run');
  else
    for (const [name, x] of [['idle', streamFrames.idle], ['streaming', streamFrames.streaming]])
      check(
        `ui frame times ${name}: frames counted, p50 and p95 positive, p95 >= p50, max >= p95`,
        x.frames > 0 && finitePositive(x.p50Ms) && finitePositive(x.p95Ms) && x.p95Ms >= x.p50Ms && x.maxMs >= x.p95Ms,
        `${x.frames} frames, p50 ${x.p50Ms} ms, p95 ${x.p95Ms} ms, max ${x.maxMs} ms`,
      );

  const so = r.stringOps ?? {};
  check('string-op probe: rep and vector timings positive', [so.memsetRepNs, so.memsetVectorNs, so.memcpyRepNs, so.memcpyVectorNs].every(finitePositive));
  validateStreaming(r.streaming, check);
  // Eight with the window's frame times, seven when the UI part was skipped.
  const expectedTargets = streamFrames && !streamFrames.skipped ? 8 : 7;
  check(`targets: ${expectedTargets}, each with a verdict or a reason`, (r.targets ?? []).length === expectedTargets && r.targets.every((t) => typeof t.met === 'boolean' || (t.met === null && t.note)));
  check('kernel log: no WARNING/BUG/Oops in the guest', Array.isArray(r.kernelProblems) && r.kernelProblems.length === 0, (r.kernelProblems ?? []).join(' | '));

  for (const [name, svg] of Object.entries(svgs)) {
    const series = (svg.match(/<polyline class="series"/g) ?? []).length;
    check(
      `plot ${name}: well-formed SVG with data`,
      svg.startsWith('<svg ') && svg.trimEnd().endsWith('</svg>') && series >= 2 && !/NaN|Infinity/.test(svg),
      `${series} series`,
    );
  }
  return checks;
}
