// Summary statistics for benchmark samples. Every figure in the bench goes
// through these, whether C or Node measured it, so all are summarised alike.

/** The q-quantile (0..1) of the samples, by linear interpolation between order statistics. */
export function quantile(samples, q) {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new Error('quantile: no samples');
  }
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (samples) => quantile(samples, 0.5);

/**
 * Median and spread of per-run values: min, max, and the relative spread
 * (max - min) / median, which is what a reader needs to judge a ratio.
 */
export function summarize(values) {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: m, min, max, relSpread: m > 0 ? (max - min) / m : 0, runs: values.length };
}

/**
 * Least-squares line y = slope * x + intercept, and R^2 (the share of the
 * variance of y the line explains).
 */
export function linearFit(xs, ys) {
  if (xs.length !== ys.length || xs.length < 2) {
    throw new Error('linearFit: need at least two (x, y) points of equal count');
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  if (sxx === 0) throw new Error('linearFit: all x are equal');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ys[i] - (slope * xs[i] + intercept)) ** 2;
  const r2 = syy === 0 ? 1 : 1 - ssRes / syy;
  return { slope, intercept, r2 };
}
