// The head bound in a sweep: solved once per target, written into every row of that target,
// with the guard that no row goes below it.
import type { EventEmitter } from 'node:events';

import { belowHeadBound, headBound, type HeadBoundRecord } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { RunRecord } from '../results/index.js';
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

/** One bound per target of the set, in its order (bounds[i] is targets.meta[i]'s). */
export async function sweepBounds(
  model: Model,
  targets: TargetSetLike,
  events: EventEmitter,
  signal?: AbortSignal,
): Promise<BoundColumns[] | undefined> {
  const started = Date.now();
  events.emit('log', `computing the head bound of ${targets.meta.length} targets`);
  let records: HeadBoundRecord[];
  try {
    records = await headBound(model, targets, { signal });
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
  return records.map((r) => ({
    headBoundNats: r.headBoundNats,
    gapNats: r.gapNats,
    sphereBoundNats: r.sphereBoundNats,
    sphereStarts: r.sphereStarts,
    sphereResidual: r.sphereResidual,
    bottleneckBoundNats: r.bottleneckBoundNats,
    bottleneckConverged: r.bottleneckConverged,
    bottleneckStatus: r.bottleneckStatus,
    dtype: model.info.dtype,
  }));
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
