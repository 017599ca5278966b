// Checks of the bench's own arithmetic, run before every bench: if these are
// wrong, every figure is.
import { spawnSync } from 'node:child_process';
import { linearFit, quantile, summarize } from './stats.mjs';
import { expectedPatternSum, fillPattern, sum32 } from './checksum.mjs';
import { cpuFrequencyGovernor, stringOpFlags, sysfsChoice } from './machine-state.mjs';
import { validateResults } from './validate.mjs';
import { consumerSweep } from './streaming-summary.mjs';

export function selfTest() {
  const checks = [];
  const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail });

  const q = [quantile([4, 1, 3, 2], 0.5), quantile([1, 2, 3, 4, 5], 0.99), quantile([7], 0.5)];
  check('stats: quantiles interpolate between order statistics', q[0] === 2.5 && Math.abs(q[1] - 4.96) < 1e-12 && q[2] === 7, q.join(', '));

  const xs = [1, 2, 4, 8, 16];
  const exact = linearFit(xs, xs.map((x) => 3 * x + 5));
  const bent = linearFit(xs, xs.map((x) => x * x));
  check(
    'stats: least squares recovers an exact line (R^2 = 1) and scores a parabola below 1',
    Math.abs(exact.slope - 3) < 1e-12 && Math.abs(exact.intercept - 5) < 1e-9 && Math.abs(exact.r2 - 1) < 1e-12 && bent.r2 < 0.98 && bent.r2 > 0,
    `slope ${exact.slope}, intercept ${exact.intercept}, parabola R^2 ${bent.r2}`,
  );

  const s = summarize([10, 30, 20]);
  check('stats: summarize gives median, min, max and spread', s.median === 20 && s.min === 10 && s.max === 30 && s.relSpread === 1);

  let threw = false;
  try {
    quantile([], 0.5);
  } catch {
    threw = true;
  }
  check('stats: no samples is an error, not a number', threw);

  const run = (rate, records, dropped, maxBacklog) => ({ rate, batch: 1, capacity: 1024, seconds: 1, records, dropped, maxBacklog, cpuNs: records * 100 });
  const swept = consumerSweep([run(10, 9, 1, 3), run(100, 100, 0, 5), run(1000, 900, 50, 1024)]);
  const none = consumerSweep([run(10, 5, 3, 1024)]);
  check(
    'streaming: sustained = highest rate with no drop, kept up = highest with the backlog below the ring; CPU per record is CPU / records',
    swept.sustainedRate === 100 && swept.keptUpRate === 100 && none.sustainedRate === null && none.keptUpRate === null &&
      swept.runs[0].keptUp && !swept.runs[2].keptUp && swept.runs[2].cpuNsPerRecord === 100,
    `sustained ${swept.sustainedRate}, kept up ${swept.keptUpRate}; ${none.sustainedRate}, ${none.keptUpRate}`,
  );

  const words = new Uint32Array(3 * 4096 / 4);
  fillPattern(words);
  check(
    'checksum: the closed form matches the sum of the filled pattern',
    sum32(words) === expectedPatternSum(words.byteLength) && sum32(words.subarray(0, 1024)) === expectedPatternSum(4096),
  );

  let unbracketed = '';
  try {
    sysfsChoice('/proc/self/comm');
  } catch (error) {
    unbracketed = error.message;
  }
  const noCpus = cpuFrequencyGovernor('/nonexistent/cpu');
  check(
    'machine state: a sysfs choice without brackets is an error, a missing file or cpufreq is recorded as absent',
    /names no setting in brackets/.test(unbracketed) && /does not exist/.test(sysfsChoice('/nonexistent/enabled').absent) && typeof noCpus.absent === 'string',
    unbracketed,
  );
  const flags = stringOpFlags('flags\t\t: fpu erms sse2\n');
  check('machine state: CPU flags parsed from /proc/cpuinfo text', flags.erms && !flags.fsrm && !flags.rep_good, JSON.stringify(flags));
  return checks;
}

/**
 * The results checks can fail: each corruption of a good results.json (the
 * run's own) must make validateResults report at least one failure.
 */
export function validatorTest(results, svgs) {
  const corruptions = {
    'a negative QUERY median': (r) => { r.control.clients.backend.medianNs = -1; },
    'a p99 below the median': (r) => { r.control.clients.c.p99Ns = r.control.clients.c.medianNs / 2; },
    'a NaN bandwidth': (r) => { r.dataPath.sizes[0].variants.cMapped.gbps.median = NaN; },
    'a data path missing': (r) => { delete r.dataPath.sizes[0].variants.nodeMemcpyNew; },
    'no THP record for the guest': (r) => { delete r.environment.guest.transparentHugepage; },
    'no CPU frequency record for the host': (r) => { delete r.environment.host.cpuFrequency; },
    'a target without a verdict': (r) => { r.targets[0].met = undefined; },
    'a kernel warning': (r) => { r.kernelProblems = ['WARNING: CPU: 0 PID: 1 at mm/vmalloc.c'];},
    'a missing first-of-round cycle': (r) => { delete r.allocation.firstOfRound; },
  };
  const checks = [];
  for (const [name, corrupt] of Object.entries(corruptions)) {
    const copy = structuredClone(results);
    corrupt(copy);
    const failed = validateResults(copy, { svgs }).filter((c) => c.ok === false);
    checks.push({ name: `results checks catch ${name}`, ok: failed.length > 0, detail: 'every check passed' });
  }
  const brokenPlot = validateResults(results, { svgs: { 'broken.svg': '<svg ><polyline class="series" points="NaN,1"/>' } }).filter((c) => c.ok === false);
  checks.push({ name: 'results checks catch a truncated plot with NaN in it', ok: brokenPlot.length > 0, detail: 'every check passed' });
  return checks;
}

/** The native and Node benches refuse bad input with a clear message and the documented exit codes. */
export function cliTest(nativePath, nodeBenchPath) {
  const checks = [];
  const run = (args) => spawnSync(nativePath, args, { encoding: 'utf8' });
  const nodeCases = [
    { args: ['read', '--sizes', '4097'], code: 1, message: /--sizes must list positive multiples of 4096, got "4097"/ },
    { args: ['query', '--batch', 'many'], code: 1, message: /--batch must be an integer >= 1, got "many"/ },
    { args: ['query', '--device', '/nonexistent/sharedmemory'], code: 1, message: /open failed: .*ENOENT/ },
    { args: ['frobnicate'], code: 2, message: /usage: node-bench query\|read/ },
  ];
  for (const c of nodeCases) {
    const r = spawnSync(process.execPath, [nodeBenchPath, ...c.args], { encoding: 'utf8' });
    checks.push({
      name: `node bench: "${c.args.join(' ')}" exits ${c.code} with a clear message`,
      ok: r.status === c.code && c.message.test(r.stderr) && r.stdout === '',
      detail: `exit ${r.status}, stderr ${JSON.stringify(r.stderr.trim())}`,
    });
  }
  const cases = [
    { args: ['alloc', '3', '1', '4097'], code: 2, message: /SIZE 4097 is not a multiple of 4096/ },
    { args: ['query', '0', '1', '1', '1'], code: 2, message: /BATCH must be an integer >= 1/ },
    { args: ['query', '10', '1', '1'], code: 2, message: /usage: shm-bench .*query BATCH BATCHES RUNS WARMUP/ },
    { args: ['read', '3', '1', '-4096'], code: 2, message: /SIZE must be an integer/ },
    { args: ['frobnicate'], code: 2, message: /usage: shm-bench/ },
    { args: ['stream', 'mmap', '1000', '5'], code: 2, message: /usage: shm-bench/ },
    { args: ['stream', 'ring', '0', '5'], code: 2, message: /RATE must be an integer >= 1/ },
    { args: ['wakeup', 'same', 'lots'], code: 2, message: /ROUNDS must be an integer >= 1/ },
    { args: ['wakeup', 'elsewhere', '10'], code: 2, message: /usage: shm-bench/ },
    { args: ['--device', '/nonexistent/sharedmemory', 'query', '1', '1', '1', '0'], code: 1, message: /open \/nonexistent\/sharedmemory failed: No such file or directory/ },
  ];
  for (const c of cases) {
    const r = run(c.args);
    checks.push({
      name: `native bench: "${c.args.join(' ')}" exits ${c.code} with a clear message`,
      ok: r.status === c.code && c.message.test(r.stderr) && r.stdout === '',
      detail: `exit ${r.status}, stderr ${JSON.stringify(r.stderr.trim())}`,
    });
  }
  return checks;
}
