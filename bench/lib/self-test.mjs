// Checks of the bench's own arithmetic, run before every bench: if these are
// wrong, every figure is.
import { spawnSync } from 'node:child_process';
import { linearFit, quantile, summarize } from './stats.mjs';
import { expectedPatternSum, fillPattern, sum32 } from './checksum.mjs';
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
  return checks;
}

/** The native and Node benches refuse bad input with a clear message and the documented exit codes. */
export function cliTest(nativePath, nodeBenchPath) {
  const checks = [];
  const run = (args) => spawnSync(nativePath, args, { encoding: 'utf8' });
  const nodeCases = [
    { args: ['read', '--sizes', '4097'], code: 1, message: /--sizes must list positive multiples of 4096, got "4097"/ },
    { args: ['query', '--calls', 'many'], code: 1, message: /--calls must be an integer >= 1, got "many"/ },
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
    { args: ['query', '0', '1', '1'], code: 2, message: /CALLS must be an integer >= 1/ },
    { args: ['read', '3', '1', '-4096'], code: 2, message: /SIZE must be an integer/ },
    { args: ['frobnicate'], code: 2, message: /usage: shm-bench/ },
    { args: ['stream', 'mmap', '1000', '5'], code: 2, message: /usage: shm-bench/ },
    { args: ['stream', 'ring', '0', '5'], code: 2, message: /RATE must be an integer >= 1/ },
    { args: ['wakeup', 'same', 'lots'], code: 2, message: /ROUNDS must be an integer >= 1/ },
    { args: ['wakeup', 'elsewhere', '10'], code: 2, message: /usage: shm-bench/ },
    { args: ['--device', '/nonexistent/sharedmemory', 'query', '1', '1', '0'], code: 1, message: /open \/nonexistent\/sharedmemory failed: No such file or directory/ },
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
