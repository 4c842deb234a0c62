// Target plans → rows. A row is one (target, init, method) run; its id and seed depend only on
// the spec and the row's own names, so the same spec always plans the same rows in the same order.

import { resolveMethods, SpecError, type MethodName, type Shard, type SweepSpec } from '../spec/index.js';
import { rowId, rowSeed } from './ids.js';
import { planTargets, type PlanOptions, type TargetPlan } from './targets.js';

export interface RowPlan {
  /** from `rowId` (ids.ts), e.g. 'vanilla:h=1.25:s=0|init=3|hybrid:HHSSS:k=1' */
  rowId: string;
  targetId: string;
  initId: number;
  method: MethodName;
  /** H/S per prefix position ('SSSSS' for soft, 'HHHHH' for hard). */
  pattern: string;
  /** HotFlip candidates (1 for soft). */
  candidates: number;
  /**
   * Initial-prompt seed from (sweep seed, targetId, initId) alone: the same init of a target
   * starts from the same prompt under every method, so methods are compared from equal starts.
   */
  seed: number;
}

/** Rows in target order, then method order, then init order. */
export function planRows(spec: SweepSpec, targets: readonly TargetPlan[]): RowPlan[] {
  const methods = resolveMethods(spec);
  const rows: RowPlan[] = [];
  for (const t of targets) {
    for (const m of methods) {
      for (let initId = 0; initId < spec.inits; initId++) {
        rows.push({
          rowId: rowId(t.targetId, initId, m),
          targetId: t.targetId,
          initId,
          method: m.method,
          pattern: m.pattern,
          candidates: m.candidates,
          seed: rowSeed(spec.seed, t.targetId, initId),
        });
      }
    }
  }
  return rows;
}

/**
 * This shard's rows: every count-th row of the plan starting at index (strided round-robin).
 * Chosen over contiguous slices because the plan is ordered by entropy and cost depends on it
 * (mid-entropy rows run longest): a stride gives every shard the same mix and sizes that differ
 * by at most one row. It is deterministic because the plan is.
 */
export function shardRows<T>(rows: readonly T[], shard: Shard): T[] {
  if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new SpecError([{ path: 'shard', message: `invalid shard ${shard.index}/${shard.count}: need integers 0 <= index < count` }]);
  }
  return rows.filter((_, position) => position % shard.count === shard.index);
}

export interface SweepPlan {
  targets: TargetPlan[];
  /** Every row of the sweep (all shards). */
  rows: RowPlan[];
  /** The rows this process runs: its shard's, or all of them. */
  shardRows: RowPlan[];
}

export function planSweep(spec: SweepSpec, vocabSize: number, options: PlanOptions = {}): SweepPlan {
  const targets = planTargets(spec, vocabSize, options);
  const rows = planRows(spec, targets);
  return { targets, rows, shardRows: spec.shard ? shardRows(rows, spec.shard) : rows };
}

/** Rows not yet finished, in plan order (for --resume). */
export function remainingRows<T extends { rowId: string }>(rows: readonly T[], finished: ReadonlySet<string>): T[] {
  return rows.filter((r) => !finished.has(r.rowId));
}
