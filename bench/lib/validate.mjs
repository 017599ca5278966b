// Structure and sanity checks on a results.json: every figure present,
// positive and finite, orderings that must hold (p99 >= median), the
// environment recorded, plots well-formed. The bench-quick test stage fails on
// any of them.
import { DATA_VARIANTS, QUERY_CLIENTS } from './summarize.mjs';
import { validateStreaming } from './streaming-validate.mjs';

const finitePositive = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const pairedOk = (x) => finitePositive(x?.median) && finitePositive(x?.min) && x.min <= x.median && x.median <= x.max;

/** A machine's THP and CPU-frequency record: a setting, or a reason it is absent. */
function machineRecorded(m) {
  const choice = (c) => typeof c?.setting === 'string' || typeof c?.absent === 'string';
  const gov = m?.cpuFrequency;
  return choice(m?.transparentHugepage?.enabled) && choice(m?.transparentHugepage?.defrag) && (Array.isArray(gov?.governors) || typeof gov?.absent === 'string');
}

export function validateResults(r, { svgs = {} } = {}) {
  const checks = [];
  const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail });
  const skip = (name, why) => checks.push({ name, skipped: why });

  check('schema and profile', r.schema === 2 && typeof r.profile === 'string', `schema ${r.schema}`);
  const env = r.environment ?? {};
  check(
    'environment recorded (guest kernel, CPU model, accelerator, QEMU version)',
    env.guest?.kernel && env.guest?.cpuModel && env.accelerator === 'tcg' && /^\d+\.\d+/.test(env.qemu ?? ''),
    JSON.stringify({ kernel: env.guest?.kernel, cpu: env.guest?.cpuModel, accel: env.accelerator, qemu: env.qemu }),
  );
  for (const side of ['host', 'guest'])
    check(
      `environment: ${side} transparent hugepages (enabled, defrag) and CPU frequency governor recorded`,
      machineRecorded(env[side]),
      JSON.stringify({ thp: env[side]?.transparentHugepage, cpufreq: env[side]?.cpuFrequency }),
    );

  const clients = r.control?.clients ?? {};
  for (const { key } of QUERY_CLIENTS) {
    const x = clients[key];
    check(
      `control ${key}: median and p99 positive, p99 >= median, timed in batches`,
      x && finitePositive(x.medianNs) && finitePositive(x.p99Ns) && x.p99Ns >= x.medianNs && x.batch >= 1 && x.calls === x.batches * x.batch,
      x ? `median ${x.medianNs} ns, p99 ${x.p99Ns} ns, batch ${x.batch}` : 'missing',
    );
    if (x) check(`control ${key}: the clock's floor is under 5% of a batch`, x.timerShareOfBatch >= 0 && x.timerShareOfBatch < 0.05, `${(x.timerShareOfBatch * 100).toFixed(2)}%`);
  }
  const ratios = Object.entries(r.control?.pairedRatio ?? {});
  check('control: five paired ratios, each median within its min–max', ratios.length === 5 && ratios.every(([, x]) => pairedOk(x)), ratios.filter(([, x]) => !pairedOk(x)).map(([k]) => k).join(', '));

  const sizes = r.allocation?.sizes ?? [];
  check('allocation: at least 3 sizes, powers of two from 4 KiB', sizes.length >= 3 && sizes[0].size === 4096 && sizes.every((s, i) => i === 0 || s.size === 2 * sizes[i - 1].size));
  const phasesOk = (p) => Object.values(p ?? {}).length === 5 && Object.values(p).every((v) => Number.isFinite(v) && v >= 0);
  for (const s of sizes) {
    check(
      `allocation ${s.size} B: cycle, phases, memset, anon touch positive`,
      finitePositive(s.totalNs?.median) && finitePositive(s.perPageNs) && finitePositive(s.memsetNs?.median) && finitePositive(s.anonTouchNs?.median) && phasesOk(s.phasesMedianNs),
      `total ${s.totalNs?.median} ns`,
    );
  }
  const first = r.allocation?.firstOfRound;
  check('allocation: the first cycle of each round recorded, of the first size', first && first.size === sizes[0]?.size && finitePositive(first.totalNs?.median) && phasesOk(first.phasesMedianNs));
  for (const [name, f] of Object.entries(r.allocation?.fit ?? {}))
    check(`allocation fit ${name}: slope positive, R^2 in [0, 1]`, finitePositive(f.slopeNsPerPage) && Number.isFinite(f.interceptUs) && f.r2 >= 0 && f.r2 <= 1, `R^2 ${f.r2}`);

  const dsizes = r.dataPath?.sizes ?? [];
  check('data path: at least 2 sizes', dsizes.length >= 2);
  const withReference = DATA_VARIANTS.filter((v) => v.reference);
  for (const s of dsizes) {
    const variants = Object.entries(s.variants ?? {});
    const bad = variants.filter(([, v]) => !finitePositive(v.gbps?.median) || !finitePositive(v.timeNs?.median));
    check(`data path ${s.size} B: ${DATA_VARIANTS.length} paths, all GB/s positive and finite`, bad.length === 0 && variants.length === DATA_VARIANTS.length, bad.map(([k]) => k).join(', '));
    check(
      `data path ${s.size} B: each read timed against its reference (the references at 1)`,
      withReference.every((v) => pairedOk(s.toReference?.[v.key])) && s.toReference.cUserSum.median === 1 && s.toReference.nodePlainSum.median === 1,
    );
    const paired = Object.values(s.pairedTimeRatio ?? {});
    check(`data path ${s.size} B: four paired ratios (warm and one-shot), positive and finite`, paired.length === 4 && paired.every(pairedOk));
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
  const inPlace = (r.targets ?? []).find((t) => t.id === 'mapped-vs-ordinary');
  check('targets: reading in place judged at every data-path size', inPlace?.perSize?.length === dsizes.length && inPlace.perSize.every((p) => finitePositive(p.value) && finitePositive(p.fastestRuns)));
  // Eight with the window's frame times, seven when the UI part was skipped.
  const expectedTargets = streamFrames && !streamFrames.skipped ? 8 : 7;
  check(`targets: ${expectedTargets}, each with a verdict or a reason`, (r.targets ?? []).length === expectedTargets && r.targets.every((t) => typeof t.met === 'boolean' || (t.met === null && t.note)));
  validateStreaming(r.streaming, check);
  check('kernel log: no WARNING/BUG/Oops in the guest', Array.isArray(r.kernelProblems) && r.kernelProblems.length === 0, (r.kernelProblems ?? []).join(' | '));

  for (const [name, svg] of Object.entries(svgs)) {
    const series = (svg.match(/<polyline class="series"/g) ?? []).length + (svg.match(/<rect class="bar"/g) ?? []).length;
    check(
      `plot ${name}: well-formed SVG with data`,
      svg.startsWith('<svg ') && svg.trimEnd().endsWith('</svg>') && series >= 2 && !/NaN|Infinity/.test(svg),
      `${series} series and bars`,
    );
  }
  return checks;
}
