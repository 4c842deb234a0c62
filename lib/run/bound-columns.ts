// The head bound in a sweep: solved once per target, written into every row of that target,
// with the guard that no row goes below it.
import type { EventEmitter } from 'node:events';

import { autoBoundBatch, belowHeadBound, boundGroupOf, headBound, type HeadBoundRecord } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { RunRecord } from '../results/index.js';
import type { TargetPlan } from '../sweep/index.js';
import type { TargetSetLike } from '../tune/targets-input.js';

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
 * The group of the head bound's solve a target of the plan lies in, by its index in the plan
 * (lib/bound/groups.ts). A sweep always solves whole groups of the plan: a resume or a shard,
 * which needs only some targets, solves the groups they lie in and writes the bits an
 * uninterrupted run (and `distprompt bound` on the plan's targets) writes.
 */
const planGroupOf = (planIndex: number, device: string): number => boundGroupOf(planIndex, autoBoundBatch(device));

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

/**
 * One bound per target of the set, in its order (bounds[i] is targets.meta[i]'s). The set is
 * the targets the sweep uploaded, whole groups of the plan in plan order; `planIndex[i]` is
 * targets.meta[i]'s index in the plan. One call solves every group, each alone.
 */
export async function sweepBounds(
  model: Model,
  targets: TargetSetLike,
  planIndex: readonly number[],
  events: EventEmitter,
  signal?: AbortSignal,
): Promise<BoundColumns[] | undefined> {
  const started = Date.now();
  events.emit('log', `computing the head bound of ${targets.meta.length} targets`);
  let records: HeadBoundRecord[];
  try {
    const groups = planIndex.map((i) => planGroupOf(i, model.info.device));
    records = await headBound(model, targets, { groups, signal });
  } catch (e) {
    // Stopped by an interrupt: no row has run yet, so nothing is lost (the resume bounds them).
    if (signal?.aborted) return undefined;
    throw e;
  }
  const slow = records.filter((r) => !r.converged).length;
  events.emit(
    'log',
    `head bound of ${records.length} targets in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (slow ? ` (${slow} stopped at the iteration cap; their gap says how close)` : ''),
  );
  return records.map((r) => boundColumnsOf(r, model.info.dtype));
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
 * go); the guard fires below the ball only (the certified bound, whatever the norm's ε).
 */
export function boundColumns(klNats: number, b: BoundColumns): Partial<RunRecord> {
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
    belowHeadBound: belowHeadBound(klNats, b.headBoundNats, b.gapNats, b.dtype),
  };
}

export function belowBoundMessage(r: RunRecord, dtype: string): string {
  return (
    `ERROR: row ${r.rowId} reached klNats ${r.klNats} below its target's head bound ${r.headBoundNats} ` +
    `(certificate ${r.headBoundGapNats}, model dtype ${dtype}). No prompt can do that: the weights, the final norm or ` +
    'the dtype disagree between the tuner and the bound. The row is kept with belowHeadBound = true; please report it.'
  );
}
