// Target plans → rows. A row is one (target, init, method) run; its id and seed depend only on
// the spec and the row's own names, so the same spec always plans the same rows in the same order.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { eachYielding, filterYielding } from '../io/each-yielding.js';
import { methodLabel, resolveMethods, SpecError, type MethodName, type Shard, type SweepSpec } from '../spec/index.js';
import { checkRowCount } from '../spec/limits.js';
import { rowId, rowSeed } from '../ids/rows.js';
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
  /**
   * Deterministic sweeps only: the row's batch. Each method's rows, in plan order, in runs of
   * batchSize, numbered in plan order across methods; the rows of a group always run together.
   */
  group?: number;
}

/** Rows in target order, then method order, then init order. */
export function planRows(spec: SweepSpec, targets: readonly TargetPlan[]): RowPlan[] {
  checkRowCount(targets.length, spec.methods.length, spec.inits);
  const rows = rowsOf(spec, targets);
  if (spec.deterministic) assignGroups(rows, spec.batchSize as number);
  return rows;
}

/** The rows of `targets` (a slice of the plan's), in plan order. */
function rowsOf(spec: SweepSpec, targets: readonly TargetPlan[]): RowPlan[] {
  const methods = resolveMethods(spec);
  const rows: RowPlan[] = [];
  const seeds: number[] = [];
  for (const t of targets) {
    // An init's seed is the same under every method: hashed once per target and init.
    for (let initId = 0; initId < spec.inits; initId++) seeds[initId] = rowSeed(spec.seed, t.targetId, initId);
    for (const m of methods) {
      for (let initId = 0; initId < spec.inits; initId++) {
        rows.push({
          rowId: rowId(t.targetId, initId, m),
          targetId: t.targetId,
          initId,
          method: m.method,
          pattern: m.pattern,
          candidates: m.candidates,
          seed: seeds[initId],
        });
      }
    }
  }
  return rows;
}

function assignGroups(rows: RowPlan[], batchSize: number): void {
  const seen = new Map<string, number>(); // method label → its rows so far
  const groups = new Map<string, Map<number, number>>(); // method label → run → group number
  let count = 0;
  for (const r of rows) {
    const label = methodLabel(r.method, r.pattern, r.candidates);
    const i = seen.get(label) ?? 0;
    seen.set(label, i + 1);
    const runs = groups.get(label) ?? groups.set(label, new Map()).get(label)!;
    const run = Math.floor(i / batchSize);
    if (!runs.has(run)) runs.set(run, count++);
    r.group = runs.get(run);
  }
}

/**
 * This shard's rows: every count-th row of the plan starting at index (strided round-robin).
 * Chosen over contiguous slices because the plan is ordered by entropy and cost depends on it
 * (mid-entropy rows run longest): a stride gives every shard the same mix and sizes that differ
 * by at most one row. It is deterministic because the plan is.
 */
export function shardRows<T>(rows: readonly T[], shard: Shard): T[] {
  if (
    !Number.isInteger(shard.count) ||
    shard.count < 1 ||
    !Number.isInteger(shard.index) ||
    shard.index < 0 ||
    shard.index >= shard.count
  ) {
    throw new SpecError([
      { path: 'shard', message: `invalid shard ${shard.index}/${shard.count}: need integers 0 <= index < count` },
    ]);
  }
  return rows.filter((_, position) => position % shard.count === shard.index);
}

/** Deterministic sweeps: this shard's rows are every count-th group (whole groups, so a row keeps its batch). */
export function shardGroups<T extends { group?: number }>(rows: readonly T[], shard: Shard): T[] {
  shardRows([], shard); // the same checks of the shard
  return rows.filter((r) => r.group! % shard.count === shard.index);
}

/** Rows grouped by method label, in plan order (a tuner runs one method: one tune() per group). */
export function rowsByMethod<T extends Pick<RowPlan, 'method' | 'pattern' | 'candidates'>>(
  rows: readonly T[],
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of rows) addByMethod(groups, r);
  return groups;
}

/** rowsByMethod a slice of rows per turn of the event loop (a sweep's 500,000 took 0.13 s in one go). */
export async function rowsByMethodYielding<T extends Pick<RowPlan, 'method' | 'pattern' | 'candidates'>>(
  rows: readonly T[],
  signal?: AbortSignal,
): Promise<Map<string, T[]>> {
  const groups = new Map<string, T[]>();
  await eachYielding(rows, (r) => addByMethod(groups, r), signal);
  return groups;
}

function addByMethod<T extends Pick<RowPlan, 'method' | 'pattern' | 'candidates'>>(
  groups: Map<string, T[]>,
  r: T,
): void {
  const label = methodLabel(r.method, r.pattern, r.candidates);
  const group = groups.get(label);
  if (group) group.push(r);
  else groups.set(label, [r]);
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
  return withShard(spec, targets, planRows(spec, targets));
}

/** About the rows planSweepYielding plans between two turns of the event loop (whole targets). */
const ROWS_PER_SLICE = 512;

/**
 * planSweep in slices that yield to the event loop between them: a sweep plans on the main
 * thread of the program that runs it, and thousands of rows named and seeded at once held it
 * for tens of milliseconds. The same plan (test/planner.test.ts). Stops with `signal`'s reason at
 * the first slice after it aborts: half a million rows take over a second to plan.
 */
export async function planSweepYielding(
  spec: SweepSpec,
  vocabSize: number,
  options: PlanOptions = {},
  signal?: AbortSignal,
): Promise<SweepPlan> {
  const targets = planTargets(spec, vocabSize, options);
  checkRowCount(targets.length, spec.methods.length, spec.inits);
  const rows: RowPlan[] = [];
  const perSlice = Math.max(1, Math.floor(ROWS_PER_SLICE / (spec.methods.length * spec.inits)));
  for (let i = 0; i < targets.length; i += perSlice) {
    if (i > 0) await nextTurn();
    signal?.throwIfAborted();
    for (const row of rowsOf(spec, targets.slice(i, i + perSlice))) rows.push(row);
  }
  if (spec.deterministic) assignGroups(rows, spec.batchSize as number);
  return withShard(spec, targets, rows);
}

/** The plan, with the rows of this process's shard (strided rows, or whole groups when deterministic). */
function withShard(spec: SweepSpec, targets: TargetPlan[], rows: RowPlan[]): SweepPlan {
  return { targets, rows, shardRows: spec.shard ? rowsOfShard(spec, rows, spec.shard) : rows };
}

/** The rows shard `shard` of the sweep runs: strided rows, or whole groups when deterministic. */
export function rowsOfShard(spec: Pick<SweepSpec, 'deterministic'>, rows: RowPlan[], shard: Shard): RowPlan[] {
  return spec.deterministic ? shardGroups(rows, shard) : shardRows(rows, shard);
}

/** The rows a resume runs: those not finished, and a deterministic one a partly finished group whole. */
export function rowsToRun<T extends { rowId: string; group?: number }>(
  spec: Pick<SweepSpec, 'deterministic'>,
  rows: readonly T[],
  finished: ReadonlySet<string>,
): T[] {
  return (spec.deterministic ? remainingGroups : remainingRows)(rows, finished);
}

/**
 * rowsToRun a slice of rows per turn of the event loop (each pass over a sweep's 500,000 rows held
 * it 0.1-0.3 s); where nothing is finished (a fresh run), `rows` themselves, with no pass at all.
 */
export async function rowsToRunYielding<T extends { rowId: string; group?: number }>(
  spec: Pick<SweepSpec, 'deterministic'>,
  rows: readonly T[],
  finished: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<readonly T[]> {
  if (finished.size === 0) return rows;
  const left = await filterYielding(rows, (r) => !finished.has(r.rowId), signal);
  if (!spec.deterministic) return left;
  const open = new Set<number | undefined>();
  await eachYielding(left, (r) => open.add(r.group), signal);
  return filterYielding(rows, (r) => open.has(r.group), signal);
}

/** Rows not yet finished, in plan order (for --resume). */
export function remainingRows<T extends { rowId: string }>(rows: readonly T[], finished: ReadonlySet<string>): T[] {
  return rows.filter((r) => !finished.has(r.rowId));
}

/**
 * Deterministic sweeps: the rows of every group not wholly finished, in plan order. A group
 * reruns whole, its finished rows included, so that its unfinished ones keep their batch.
 */
export function remainingGroups<T extends { rowId: string; group?: number }>(
  rows: readonly T[],
  finished: ReadonlySet<string>,
): T[] {
  const open = new Set(rows.filter((r) => !finished.has(r.rowId)).map((r) => r.group));
  return rows.filter((r) => open.has(r.group));
}
