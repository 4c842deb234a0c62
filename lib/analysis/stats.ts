// The small statistics figures and findings rest on: mean, standard error, summaries, least
// squares, paired sign tests and curve interpolation, written out so that a verdict or a band can
// be traced to its arithmetic.

/** P(X >= wins) for X ~ Binomial(n, 1/2): the one-sided sign test. */
export function signTestP(wins: number, n: number): number {
  if (n === 0) return 1;
  let p = 0;
  // log-space binomial coefficients keep n in the thousands exact enough.
  const lnFact = (k: number) => {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  };
  const lnN = lnFact(n);
  for (let k = wins; k <= n; k++) p += Math.exp(lnN - lnFact(k) - lnFact(n - k) - n * Math.LN2);
  return Math.min(1, p);
}

export interface Paired {
  /** pairs compared */
  n: number;
  /** pairs where the claimed-easier side has the lower KL */
  wins: number;
  /** mean over pairs of (harder − easier), nats: > 0 when the claim's direction wins on average */
  meanGapNats: number;
  /** one-sided sign test p-value of the claim */
  p: number;
}

/** Compares paired values where the claim is `easier[i] < harder[i]`. Ties count against the claim. */
export function pairedComparison(easier: readonly number[], harder: readonly number[]): Paired {
  const n = Math.min(easier.length, harder.length);
  let wins = 0;
  let gap = 0;
  for (let i = 0; i < n; i++) {
    if (easier[i] < harder[i]) wins++;
    gap += harder[i] - easier[i];
  }
  return { n, wins, meanGapNats: n ? gap / n : NaN, p: signTestP(wins, n) };
}

/** The fewest pairs with which a sign test can reach p < 0.05 (5 of 5: p = 1/32). */
export const MIN_PAIRS = 5;
export const ALPHA = 0.05;

export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export function standardError(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1) / n);
}

/**
 * A summary's standard error as a table shows it: undefined (NaN) for one value, which has no
 * spread to estimate it from, where standardError's 0 would read as a certain mean.
 */
export const shownStandardError = (s: { n: number; se: number }): number => (s.n > 1 ? s.se : NaN);

/** Linear interpolation of a curve given as sorted (x, y) points; NaN outside its range. */
export function interpolate(points: ReadonlyArray<readonly [number, number]>, x: number): number {
  if (points.length === 0) return NaN;
  if (x < points[0][0] || x > points[points.length - 1][0]) return NaN;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (x <= x1) return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return points[points.length - 1][1];
}

export interface Summary {
  n: number;
  mean: number;
  median: number;
  /** Standard error of the mean (0 for a single value). */
  se: number;
}

export function summarise(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, median: NaN, se: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { n, mean: mean(values), median, se: standardError(values) };
}

export interface Regression {
  slope: number;
  intercept: number;
  rSquared: number;
  n: number;
}

/** Ordinary least squares y = slope·x + intercept with its R² (null with fewer than 2 distinct x). */
export function linearRegression(xs: readonly number[], ys: readonly number[]): Regression | null {
  const n = xs.length;
  if (n < 2) return null;
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
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, rSquared: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy), n };
}
