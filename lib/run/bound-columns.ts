// The head bound in a sweep: solved once per target, written into every row of that target,
// with the guard that no row goes below it.
import type { EventEmitter } from 'node:events';

import { belowHeadBound, headBound, type HeadBoundRecord } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { RunRecord } from '../results/index.js';
import type { TargetSetLike } from '../tune/targets-input.js';

export type BoundColumns = Pick<
  HeadBoundRecord,
  'headBoundNats' | 'gapNats' | 'bottleneckBoundNats' | 'bottleneckConverged'
> & {
  dtype: string;
};

/** One bound per target of the set, in its order (bounds[i] is targets.meta[i]'s). */
export async function sweepBounds(model: Model, targets: TargetSetLike, events: EventEmitter): Promise<BoundColumns[]> {
  const started = Date.now();
  const records = await headBound(model, targets);
  const slow = records.filter((r) => !r.converged).length;
  events.emit(
    'log',
    `head bound of ${records.length} targets in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (slow ? ` (${slow} stopped at the iteration cap; their gap says how close)` : ''),
  );
  return records.map((r) => ({
    headBoundNats: r.headBoundNats,
    gapNats: r.gapNats,
    bottleneckBoundNats: r.bottleneckBoundNats,
    bottleneckConverged: r.bottleneckConverged,
    dtype: model.info.dtype,
  }));
}

/** The bound columns of one row. */
export function boundColumns(klNats: number, b: BoundColumns): Partial<RunRecord> {
  return {
    headBoundNats: b.headBoundNats,
    headBoundGapNats: b.gapNats,
    bottleneckBoundNats: b.bottleneckBoundNats,
    bottleneckConverged: b.bottleneckConverged,
    bodyGapNats: Number.isFinite(klNats) ? klNats - b.headBoundNats : null,
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
