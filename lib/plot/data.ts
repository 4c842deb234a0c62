// The numbers behind the figures: the study reports, per target, the minimum KL over its inits,
// then summarises targets (mean ± standard error within entropy bins, regressions, box plots).

import { methodLabel, type MethodName } from '../spec/index.js';
import type { RunRecord } from '../results/index.js';

/** A result row as the figures need it; `model` separates series when several runs are plotted together. */
export type PlotRecord = Pick<
  RunRecord,
  | 'rowId'
  | 'targetId'
  | 'targetKind'
  | 'initId'
  | 'method'
  | 'pattern'
  | 'candidates'
  | 'klNats'
  | 'modelEntropyBits'
  | 'targetEntropyBits'
> &
  Partial<
    Pick<
      RunRecord,
      | 'requestedEntropyBits'
      | 'outliers'
      | 'sourceModel'
      | 'posTag'
      | 'pairedWith'
      | 'headBoundNats'
      | 'sphereBoundNats'
      | 'bottleneckBoundNats'
    >
  > & {
    model?: string;
  };

/** One target under one method (and model): its best init. */
export interface TargetBest {
  targetId: string;
  kind: string;
  method: string;
  model?: string;
  /** Min over inits, nats. */
  klNats: number;
  /** x for entropy figures: the requested grid value where there is one, else the achieved entropy. */
  entropyBits: number;
  targetEntropyBits: number;
  modelEntropyBits: number;
  outliers: number | null;
  sourceModel: string | null;
  posTag: string | null;
  pairedWith: string | null;
  inits: number;
  /** the target's ball bound, sphere value and bottleneck bound (null without them) */
  headBoundNats: number | null;
  sphereBoundNats: number | null;
  bottleneckBoundNats: number | null;
  /** klNats (the min over inits) − the sphere value (the ball's in older files): the body's share */
  bodyGapNats: number | null;
}

export const methodOf = (r: Pick<PlotRecord, 'method' | 'pattern' | 'candidates'>): string =>
  methodLabel(r.method as MethodName, r.pattern, r.candidates);

/** The lowest KL a prompt can reach by the bounds: the sphere value, or the ball bound in files without it. */
export const reachableBound = (r: Pick<PlotRecord, 'headBoundNats' | 'sphereBoundNats'>): number | null =>
  r.sphereBoundNats ?? r.headBoundNats ?? null;

/** Per (model, method, target): the init with the lowest KL. Diverged rows (NaN) never win. */
export function bestPerTarget(records: readonly PlotRecord[]): TargetBest[] {
  const best = new Map<string, TargetBest>();
  for (const r of records) {
    const method = methodOf(r);
    const key = `${r.model ?? ''}\u0000${method}\u0000${r.targetId}`;
    const prior = best.get(key);
    const kl = Number.isFinite(r.klNats) ? r.klNats : Number.POSITIVE_INFINITY;
    if (prior) prior.inits++;
    if (prior && prior.klNats <= kl) continue;
    best.set(key, {
      targetId: r.targetId,
      kind: r.targetKind,
      method,
      model: r.model,
      klNats: kl,
      entropyBits: r.requestedEntropyBits ?? r.targetEntropyBits,
      targetEntropyBits: r.targetEntropyBits,
      modelEntropyBits: r.modelEntropyBits,
      outliers: r.outliers ?? null,
      sourceModel: r.sourceModel ?? null,
      posTag: r.posTag ?? null,
      pairedWith: r.pairedWith ?? null,
      inits: prior ? prior.inits : 1,
      headBoundNats: r.headBoundNats ?? null,
      sphereBoundNats: r.sphereBoundNats ?? null,
      bottleneckBoundNats: r.bottleneckBoundNats ?? null,
      bodyGapNats: reachableBound(r) === null ? null : kl - reachableBound(r)!,
    });
  }
  return [...best.values()].filter((b) => Number.isFinite(b.klNats));
}

/** Centre of the entropy bin a value falls in (bins of `width` bits). */
export const binOf = (bits: number, width: number): number => Math.round(Math.round(bits / width) * width * 1e6) / 1e6;

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
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sorted = [...values].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { n, mean, median, se: Math.sqrt(variance / n) };
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

export interface SummaryRow extends Summary {
  kind: string;
  method: string;
  model?: string;
}

/** The report's table: per kind × method (× model), over targets' best KL. */
export function summaryTable(best: readonly TargetBest[]): SummaryRow[] {
  const groups = new Map<string, { kind: string; method: string; model?: string; values: number[] }>();
  for (const b of best) {
    const key = `${b.model ?? ''}\u0000${b.kind}\u0000${b.method}`;
    const g = groups.get(key) ?? { kind: b.kind, method: b.method, model: b.model, values: [] };
    g.values.push(b.klNats);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({
    kind: g.kind,
    method: g.method,
    ...(g.model ? { model: g.model } : {}),
    ...summarise(g.values),
  }));
}
