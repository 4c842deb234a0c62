// The head bound in a sweep: solved once per target, written into every row of that target,
// with the guard that no row goes below it.
import type { EventEmitter } from 'node:events';

import { belowHeadBound, headBound, type HeadBoundRecord } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { RunRecord } from '../results/index.js';
import type { TargetPlan } from '../sweep/index.js';
import { native } from '../native/index.js';
import type { TargetStore } from '../targets/store.js';
import type { TargetSetLike } from '../tune/targets-input.js';
import { boundGroups, planGroupOf, shareBounds, sharedBounds } from './shared-bounds.js';

export type BoundColumns = Pick<
  HeadBoundRecord,
  | 'headBoundNats'
  | 'gapNats'
  | 'sphereBoundNats'
  | 'sphereStarts'
  | 'sphereResidual'
  | 'bottleneckBoundNats'
  | 'bottleneckConverged'
  | 'bottleneckStatus'
> & {
  dtype: string;
};

/**
 * The plan's targets a sweep makes for rows using `used` targets, by index in the plan: those,
 * the lm targets their paired vanilla targets copy an entropy from, and with the bound the whole
 * groups of its solve they lie in (planGroupOf). The sweep makes these; its plan prices them.
 */
export function targetsToMake(
  targets: readonly TargetPlan[],
  used: Iterable<string>,
  bounded: boolean,
  device: string,
): number[] {
  const needed = new Set(used);
  for (const t of targets)
    if (needed.has(t.targetId) && t.kind === 'vanilla' && t.params.pairedWith !== undefined)
      needed.add(t.params.pairedWith);
  const groupOf = (i: number) => planGroupOf(i, device);
  const neededGroups = new Set(targets.flatMap((t, i) => (needed.has(t.targetId) ? [groupOf(i)] : [])));
  return targets.flatMap((t, i) => (needed.has(t.targetId) || (bounded && neededGroups.has(groupOf(i))) ? [i] : []));
}

/** What the run's earlier sweeps share with this one's bound (runSweep's targetStore). */
export interface SharedBoundsInput {
  store: TargetStore;
  /** the plan of each target of the set, in its order */
  plans: readonly TargetPlan[];
  /** the set's rows on the host, to upload the groups still to solve where others are shared */
  data: Float32Array;
}

/**
 * One bound per target of the set, in its order (bounds[i] is targets.meta[i]'s). The set is
 * the targets the sweep uploaded, whole groups of the plan in plan order; `planIndex[i]` is
 * targets.meta[i]'s index in the plan. One call solves every group, each alone; with `shared`,
 * the groups an earlier sweep of the run solved are taken from it (lib/run/shared-bounds.ts).
 */
export async function sweepBounds(
  model: Model,
  targets: TargetSetLike,
  planIndex: readonly number[],
  events: EventEmitter,
  signal?: AbortSignal,
  shared?: SharedBoundsInput,
): Promise<BoundColumns[] | undefined> {
  const started = Date.now();
  const groupNumbers = planIndex.map((i) => planGroupOf(i, model.info.device));
  const groups = shared ? boundGroups(model, shared.plans, groupNumbers) : [];
  const held = groups.filter((g) => sharedBounds(shared?.store, g) !== undefined);
  const heldCount = held.reduce((a, g) => a + g.indices.length, 0);
  const total = targets.meta.length;
  const earlier = heldCount ? ` (${heldCount} of them solved by an earlier sweep of this run)` : '';
  if (heldCount < total) events.emit('log', `computing the head bound of ${total} targets${earlier}`);
  const bounds = new Array<BoundColumns>(total);
  for (const g of held) sharedBounds<BoundColumns>(shared!.store, g)!.forEach((b, j) => (bounds[g.indices[j]] = b));
  // The rows still to solve, in order: all of them, or those of the groups no earlier sweep solved.
  const fresh = groups.filter((g) => !held.includes(g));
  const solve = heldCount ? fresh.flatMap((g) => g.indices) : [...bounds.keys()];
  let records: HeadBoundRecord[] = [];
  try {
    if (solve.length) records = await solveRows(model, targets, solve, groupNumbers, signal, shared?.data);
  } catch (e) {
    // Stopped by an interrupt: no row has run yet, so nothing is lost (the resume bounds them).
    if (signal?.aborted) return undefined;
    throw e;
  }
  records.forEach((r, j) => (bounds[solve[j]] = boundColumnsOf(r, model.info.dtype)));
  for (const g of fresh)
    shareBounds(
      shared?.store,
      g,
      g.indices.map((i) => bounds[i]),
    );
  const slow = records.filter((r) => !r.converged).length;
  if (heldCount === total) events.emit('log', `head bound of ${total} targets: solved by an earlier sweep of this run`);
  else
    events.emit(
      'log',
      `head bound of ${total} targets in ${((Date.now() - started) / 1000).toFixed(1)} s${earlier}` +
        (slow ? ` (${slow} stopped at the iteration cap; their gap says how close)` : ''),
    );
  return bounds;
}

/** The bound records of the set's rows `rows` (ascending), each solved in its plan group. */
async function solveRows(
  model: Model,
  targets: TargetSetLike,
  rows: readonly number[],
  groupNumbers: readonly number[],
  signal: AbortSignal | undefined,
  host: Float32Array | undefined,
): Promise<HeadBoundRecord[]> {
  const groups = rows.map((i) => groupNumbers[i]);
  if (rows.length === targets.meta.length) return headBound(model, targets, { groups, signal });
  // Some groups were shared: the rest are uploaded alone (a group's bits do not depend on the others).
  const V = model.info.vocabSize;
  const data = new Float32Array(rows.length * V);
  rows.forEach((i, j) => data.set(host!.subarray(i * V, (i + 1) * V), j * V));
  const part = await native().uploadTensor({ data, shape: [rows.length, V], device: model.info.device });
  try {
    return await headBound(model, { targets: part, meta: rows.map((i) => targets.meta[i]) }, { groups, signal });
  } finally {
    part.dispose();
  }
}

/** What a sweep keeps of a target's bound record (for a model of this dtype). */
export function boundColumnsOf(r: HeadBoundRecord, dtype: string): BoundColumns {
  return {
    headBoundNats: r.headBoundNats,
    gapNats: r.gapNats,
    sphereBoundNats: r.sphereBoundNats,
    sphereStarts: r.sphereStarts,
    sphereResidual: r.sphereResidual,
    bottleneckBoundNats: r.bottleneckBoundNats,
    bottleneckConverged: r.bottleneckConverged,
    bottleneckStatus: r.bottleneckStatus,
    dtype,
  };
}

/**
 * The bound columns of one row. The body gap is measured from the sphere (where prompts can
 * go); the guard fires below the ball only (the certified bound, whatever the norm's ε), by more
 * than the rounding of logits as large as `maxAbsLogit` (the row's, at its best prompt).
 */
export function boundColumns(klNats: number, b: BoundColumns, maxAbsLogit: number): Partial<RunRecord> {
  const reachable = b.sphereBoundNats ?? b.headBoundNats;
  return {
    headBoundNats: b.headBoundNats,
    headBoundGapNats: b.gapNats,
    sphereBoundNats: b.sphereBoundNats,
    sphereStarts: b.sphereStarts,
    sphereResidual: b.sphereResidual,
    bottleneckBoundNats: b.bottleneckBoundNats,
    bottleneckConverged: b.bottleneckConverged,
    bottleneckStatus: b.bottleneckStatus,
    bodyGapNats: Number.isFinite(klNats) ? klNats - reachable : null,
    belowHeadBound: belowHeadBound(klNats, b.headBoundNats, b.gapNats, b.dtype, maxAbsLogit),
  };
}

/** The warning a row below its head bound gives: a bug to report, never a finding. */
export function belowBoundMessage(r: RunRecord, dtype: string): string {
  return (
    `row ${r.rowId} reached klNats ${r.klNats} below its target's head bound ${r.headBoundNats} ` +
    `(certificate ${r.headBoundGapNats}, model dtype ${dtype}). No prompt can do that: the weights, the final norm or ` +
    'the dtype disagree between the tuner and the bound. The row is kept with belowHeadBound = true; please report it.'
  );
}
