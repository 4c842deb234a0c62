// Targets kept for the next sweeps of a run: a study's vanilla grid is the same in vanilla,
// methods, random-init and the five prefix lengths, and was made again by each. A target that
// depends on its plan alone (a vanilla grid point or an outlier target: its seed and parameters,
// no model, made natively on the device) is the same bits over the same vocabulary and device
// whichever sweep asks, so a store given to each sweep makes it once. Targets read from a model
// (lm, shuffled, migrated, paired vanilla), a tokenizer (pos-uniform) or a file are made again.
import type { TargetRowMeta } from './make.js';
import type { TargetPlan } from './registry.js';

type Row = { probs: Float32Array; meta: TargetRowMeta };

/** Each store's rows, by key: the class is a handle, so that its public face is its size alone. */
const ROWS = new WeakMap<TargetStore, Map<string, Row>>();
/** The keys a plan priced as made by an earlier sweep it planned (a plan makes only a sample). */
const PLANNED = new WeakMap<TargetStore, Set<string>>();

export class TargetStore {
  constructor() {
    ROWS.set(this, new Map());
    PLANNED.set(this, new Set());
  }

  /** Targets held: how many, and the bytes their rows take. */
  get size(): { targets: number; bytes: number } {
    const rows = [...ROWS.get(this)!.values()];
    return { targets: rows.length, bytes: rows.reduce((a, r) => a + r.probs.byteLength, 0) };
  }
}

/** Whether `plan`'s target is a function of its plan, vocabulary and device alone. */
const planAlone = (plan: TargetPlan): boolean =>
  plan.kind === 'outlier' || (plan.kind === 'vanilla' && plan.params.pairedWith === undefined);

/** What a kept target is found by (undefined for a target the store does not keep). */
export const targetKey = (plan: TargetPlan, vocab: number, device: string): string | undefined =>
  planAlone(plan) ? JSON.stringify([device, vocab, plan.kind, plan.targetId, plan.seed, plan.params]) : undefined;

/** The row made earlier for `plan`, if one was. */
export function storedRow(store: TargetStore, plan: TargetPlan, vocab: number, device: string): Row | undefined {
  const key = targetKey(plan, vocab, device);
  return key === undefined ? undefined : ROWS.get(store)!.get(key);
}

/** How many of `plans` the store holds. */
export function storedCount(store: TargetStore, plans: readonly TargetPlan[], vocab: number, device: string): number {
  return plans.filter((p) => storedRow(store, p, vocab, device) !== undefined).length;
}

/** Keeps `probs` (copied) for `plan`, if its target depends on its plan alone. */
export function storeRow(
  store: TargetStore,
  plan: TargetPlan,
  vocab: number,
  device: string,
  probs: Float32Array,
  meta: TargetRowMeta,
): void {
  const key = targetKey(plan, vocab, device);
  const rows = ROWS.get(store)!;
  if (key !== undefined && !rows.has(key)) rows.set(key, { probs: probs.slice(), meta });
}

/**
 * For a plan: how many of `plans` an earlier sweep planned with the store (or run with it) makes,
 * and those of them that depend on their plan alone then count as made for the next.
 */
export function plannedCount(store: TargetStore, plans: readonly TargetPlan[], vocab: number, device: string): number {
  const planned = PLANNED.get(store)!;
  let count = 0;
  for (const p of plans) {
    const key = targetKey(p, vocab, device);
    if (key === undefined) continue;
    if (planned.has(key) || ROWS.get(store)!.has(key)) count++;
    else planned.add(key);
  }
  return count;
}
