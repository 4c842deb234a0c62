// A target's difficulty, the one number figures and findings both rest on: per (model, method,
// target), the minimum KL over its inits, from result rows projected to what the analysis reads.

import type { RunRecord } from '../results/record.js';
import { methodLabel, type MethodName } from '../spec/index.js';
import type { TargetParams } from '../targets/registry.js';
import { summarise, type Summary } from './stats.js';

/**
 * A result row as the analysis reads it (a StoredRunRecord has every field); `model` separates
 * series when several runs are plotted together.
 */
export type AnalysisRecord = Pick<
  RunRecord,
  'targetId' | 'targetKind' | 'method' | 'pattern' | 'candidates' | 'klNats' | 'targetEntropyBits'
> &
  Partial<
    Pick<
      RunRecord,
      | 'rowId'
      | 'initId'
      | 'modelEntropyBits'
      | 'requestedEntropyBits'
      | 'outliers'
      | 'sourceModel'
      | 'posTag'
      | 'pairedWith'
      | 'targetParams'
      | 'headBoundNats'
      | 'sphereBoundNats'
      | 'bottleneckBoundNats'
      | 'bodyGapNats'
    >
  > & {
    model?: string;
  };

/** The rows the figures draw. */
export type PlotRecord = AnalysisRecord;

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
  /** vanilla and outlier targets: which sample of the grid point (0 without it) */
  sample: number;
  /** shuffled targets: the lm target shuffled */
  lmTarget: string | null;
  /** the target's ball bound, sphere value and bottleneck bound (null without them) */
  headBoundNats: number | null;
  sphereBoundNats: number | null;
  bottleneckBoundNats: number | null;
  /** klNats (the min over inits) − the sphere value (the ball's in older files): the body's share */
  bodyGapNats: number | null;
}

export const methodOf = (r: Pick<AnalysisRecord, 'method' | 'pattern' | 'candidates'>): string =>
  methodLabel(r.method as MethodName, r.pattern, r.candidates);

const finiteOrNull = (x: number | null | undefined): number | null =>
  typeof x === 'number' && Number.isFinite(x) ? x : null;

/** The parameters a target was planned with (lib/targets/registry.ts), from a row's targetParams. */
function paramsOf(r: AnalysisRecord): { sample?: number; lmTarget?: string } {
  if (!r.targetParams) return {};
  try {
    const p = JSON.parse(r.targetParams) as Partial<TargetParams['outlier'] & TargetParams['shuffled']>;
    return { sample: typeof p.sample === 'number' ? p.sample : undefined, lmTarget: p.lmTarget };
  } catch {
    return {};
  }
}

/** The lowest KL a prompt can reach by the bounds: the sphere value, or the ball bound in files without it. */
export const reachableBound = (r: Pick<AnalysisRecord, 'headBoundNats' | 'sphereBoundNats'>): number | null =>
  finiteOrNull(r.sphereBoundNats) ?? finiteOrNull(r.headBoundNats);

/** Per (model, method, target): the init with the lowest KL. Diverged rows (NaN) never win. */
export const bestPerTarget = (records: readonly AnalysisRecord[]): TargetBest[] =>
  everyBestPerTarget(records).filter((b) => Number.isFinite(b.klNats));

/**
 * The (model, method, target) series of `records` whose every row's KL is NaN: the figures and
 * tables leave them out (they have no value to draw), and a report says how many.
 */
export const seriesWithoutKl = (records: readonly AnalysisRecord[]): number =>
  everyBestPerTarget(records).filter((b) => !Number.isFinite(b.klNats)).length;

/** bestPerTarget, with a series whose every KL is NaN kept at +Infinity. */
function everyBestPerTarget(records: readonly AnalysisRecord[]): TargetBest[] {
  const best = new Map<string, TargetBest>();
  for (const r of records) {
    const method = methodOf(r);
    const key = `${r.model ?? ''}\u0000${method}\u0000${r.targetId}`;
    const prior = best.get(key);
    const kl = Number.isFinite(r.klNats) ? r.klNats : Number.POSITIVE_INFINITY;
    if (prior) prior.inits++;
    if (prior && prior.klNats <= kl) continue;
    const params = paramsOf(r);
    const headBoundNats = finiteOrNull(r.headBoundNats);
    const reachable = reachableBound(r);
    best.set(key, {
      targetId: r.targetId,
      kind: r.targetKind,
      method,
      model: r.model,
      klNats: kl,
      entropyBits: r.requestedEntropyBits ?? r.targetEntropyBits,
      targetEntropyBits: r.targetEntropyBits,
      modelEntropyBits: r.modelEntropyBits ?? NaN,
      outliers: r.outliers ?? null,
      sourceModel: r.sourceModel ?? null,
      posTag: r.posTag ?? null,
      pairedWith: r.pairedWith ?? null,
      inits: prior ? prior.inits : 1,
      sample: params.sample ?? 0,
      lmTarget: params.lmTarget ?? null,
      headBoundNats,
      sphereBoundNats: finiteOrNull(r.sphereBoundNats),
      bottleneckBoundNats: finiteOrNull(r.bottleneckBoundNats),
      bodyGapNats: reachable === null ? null : kl - reachable,
    });
  }
  return [...best.values()];
}

/** Centre of the entropy bin a value falls in (bins of `width` bits). */
export const binOf = (bits: number, width: number): number => Math.round(Math.round(bits / width) * width * 1e6) / 1e6;

export interface SummaryRow extends Summary {
  kind: string;
  method: string;
  model?: string;
}

/**
 * The report's table: per kind × method (× model), over targets' best KL. Vanilla targets paired
 * with lm ones (entropies matched to theirs) are a row of their own: pooled with a grid's, their
 * mean would be of neither.
 */
export function summaryTable(best: readonly TargetBest[]): SummaryRow[] {
  const groups = new Map<string, { kind: string; method: string; model?: string; values: number[] }>();
  for (const b of best) {
    const kind = b.pairedWith === null ? b.kind : `${b.kind} (paired)`;
    const key = `${b.model ?? ''}\u0000${kind}\u0000${b.method}`;
    const g = groups.get(key) ?? { kind, method: b.method, model: b.model, values: [] };
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
