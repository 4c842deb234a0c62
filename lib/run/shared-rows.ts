// Rows the sweeps of a run share. A row's result is a function of its model, its target, its
// method and init, and the sweep settings its method runs with (budget, prefix length, seed, the
// learning rate of soft positions …: all but those lib/run/method-options.ts's SETTINGS_IGNORED
// names), not of the sweep it is planned in: the paper's shuffled experiment holds the lm
// experiment's 5,000 hard rows, methods holds vanilla's soft rows, and the five-position prefix
// length is vanilla again. Kept in the run's TargetStore, such a row is tuned once and a later
// sweep writes the finished row into its own results. Only rows that would run alike are taken:
// the same key below, on a sweep that is not deterministic (whose rows run in fixed groups).
import type { Model } from '../model/model.js';
import type { Results, StoredRunRecord } from '../results/index.js';
import type { MethodName, SweepSpec } from '../spec/index.js';
import { planSweep, type RowPlan, type SweepPlan } from '../sweep/index.js';
import { targetFileCount } from '../targets/file.js';
import type { TargetStore } from '../targets/store.js';
import { readsSetting } from './method-options.js';

const FINISHED = new WeakMap<TargetStore, Map<string, StoredRunRecord>>();
/** Rows a plan priced as run by an earlier sweep it planned (a plan runs only a sample). */
const PLANNED = new WeakMap<TargetStore, Set<string>>();

const finishedOf = (s: TargetStore) => FINISHED.get(s) ?? FINISHED.set(s, new Map()).get(s)!;
const plannedOf = (s: TargetStore) => PLANNED.get(s) ?? PLANNED.set(s, new Set()).get(s)!;

/** The sweep fields that name which rows it holds, not how a row runs. */
const NOT_OF_A_ROW = new Set(['targets', 'methods', 'inits', 'output', 'shard', 'devices']);

/**
 * The model a sweep ran on, as its results' metadata names it: its name and identity (sha256 over
 * its config and tensor headers, or its preset and seed; Model.info.identity).
 */
export interface RowModel {
  name: string;
  hash: string;
}

/**
 * The settings of a sweep a row of `method` runs with, by name, in one order and without undefined
 * fields (as a results file stores its spec, in JSON), so that a file's rows (lib/run/reuse.ts) key
 * as the live sweep's do.
 */
export function rowSettings(spec: SweepSpec, method: MethodName): [string, unknown][] {
  return Object.entries(spec)
    .filter(([k, v]) => !NOT_OF_A_ROW.has(k) && v !== undefined && readsSetting(method, k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * The key a row's result is shared under, or undefined for a row of a deterministic sweep: the
 * model, every setting of the sweep its method runs with (device and dtype among them), the row
 * (its id names target, init and method) and its target's plan.
 */
function rowKeys(spec: SweepSpec, model: RowModel, plan: SweepPlan, rows: readonly RowPlan[]): (string | undefined)[] {
  if (spec.deterministic) return rows.map(() => undefined);
  const targets = new Map(plan.targets.map((t) => [t.targetId, t]));
  const common = new Map<MethodName, string>();
  const commonOf = (m: MethodName) =>
    common.get(m) ?? common.set(m, JSON.stringify([model.name, model.hash, rowSettings(spec, m)])).get(m)!;
  return rows.map((r) => {
    const { rowId, targetId, initId, method, pattern, candidates, seed } = r;
    return `${commonOf(method)}|${JSON.stringify([rowId, initId, method, pattern, candidates, seed, targets.get(targetId)])}`;
  });
}

/**
 * Keeps a sweep's finished rows (records of its planned rows: run now, or read from a file finished
 * earlier) for the run's later sweeps.
 */
export function shareRows(
  store: TargetStore,
  spec: SweepSpec,
  model: RowModel,
  plan: SweepPlan,
  records: readonly StoredRunRecord[],
): void {
  const byId = new Map(records.map((r) => [r.rowId, r]));
  const rows = plan.rows.filter((r) => byId.has(r.rowId));
  const finished = finishedOf(store);
  rowKeys(spec, model, plan, rows).forEach((k, i) => {
    if (k !== undefined && !finished.has(k)) finished.set(k, byId.get(rows[i].rowId)!);
  });
}

/**
 * Keeps the rows of a finished results file (`spec` the sweep it holds) for the run's later
 * sweeps, as if the sweep had run now: its plan made again from the file's vocabulary, the rows
 * keyed by the model its metadata names. A study resumed after a sweep finished, and
 * `--reuse` (lib/run/reuse.ts), both share rows this way.
 */
export function shareFinished(
  store: TargetStore,
  spec: SweepSpec,
  { metadata, records }: Pick<Results, 'metadata' | 'records'>,
): void {
  const plan = planSweep(spec, metadata.vocabSize, { fileTargetCount: targetFileCount });
  shareRows(store, spec, metadata.model, plan, records);
}

/** The rows of `rows` an earlier sweep of the run finished, by row id. */
export function sharedRows(
  store: TargetStore | undefined,
  spec: SweepSpec,
  model: RowModel,
  plan: SweepPlan,
  rows: readonly RowPlan[],
): Map<string, StoredRunRecord> {
  const found = new Map<string, StoredRunRecord>();
  if (!store) return found;
  const finished = finishedOf(store);
  rowKeys(spec, model, plan, rows).forEach((k, i) => {
    const r = k === undefined ? undefined : finished.get(k);
    if (r) found.set(rows[i].rowId, r);
  });
  return found;
}

/**
 * For a plan: the ids of `rows` an earlier sweep planned with the store (or run with it, or found
 * finished) runs, which this sweep is given; every one of `rows` then counts as run for the next.
 */
export function plannedRows(
  store: TargetStore,
  spec: SweepSpec,
  model: RowModel,
  plan: SweepPlan,
  rows: readonly RowPlan[],
): Set<string> {
  const planned = plannedOf(store);
  const finished = finishedOf(store);
  const shared = new Set<string>();
  rowKeys(spec, model, plan, rows).forEach((k, i) => {
    if (k === undefined) return;
    if (planned.has(k) || finished.has(k)) shared.add(rows[i].rowId);
    planned.add(k);
  });
  return shared;
}

/** A loaded model as its results name it. */
export const rowModel = (model: Model): RowModel => ({ name: model.info.name, hash: model.info.identity });
