// The sweep planner's target plans → distributions over the model's vocabulary, in plan order:
// each kind's maker (lib/targets/make.ts) makes its own plans, in the makers' table order.
import type { Model } from '../model/model.js';
import type { TargetKind } from '../spec/schema.js';
import { MAKERS, type Item, type MakeContext, type SynthesisedTargets, type TargetRowMeta } from './make.js';
import { kindDef, type PlanOf, type TargetPlan } from './registry.js';
import { inTargetWorker } from './offload.js';
import { storedRow, storeRow, type TargetStore } from './store.js';

const isKind = <K extends TargetKind>(plan: PlanOf<TargetKind>, kind: K): plan is PlanOf<K> => plan.kind === kind;

/** The plans of one kind, with their rows, made by that kind's maker. */
async function makeKind<K extends TargetKind>(kind: K, ctx: MakeContext, plans: readonly TargetPlan[]) {
  const items: Item<K>[] = [];
  plans.forEach((plan, i) => {
    if (isKind(plan, kind)) items.push({ plan, i });
  });
  if (items.length > 0) await MAKERS[kind](ctx, items);
}

/**
 * `plans`' targets, in plan order. With a `store`, targets it holds are taken from it rather than
 * made, and the ones made that depend on their plan alone are kept in it for the next sweeps.
 * `signal` stops the making with its reason between two batches (a sweep's Ctrl-C).
 */
export async function synthesizePlans(
  model: Model,
  plans: readonly TargetPlan[],
  store?: TargetStore,
  signal?: AbortSignal,
): Promise<SynthesisedTargets> {
  if (!store) return makePlans(model, plans, signal);
  const { vocabSize: V, device } = model.info;
  const held = plans.map((p) => storedRow(store, p, V, device));
  const toMake = plans.filter((_, i) => !held[i]);
  const made = toMake.length ? await makePlans(model, toMake, signal) : { data: new Float32Array(0), meta: [] };
  toMake.forEach((p, j) => storeRow(store, p, V, device, made.data.subarray(j * V, (j + 1) * V), made.meta[j]));
  if (toMake.length === plans.length) return made;
  const data = new Float32Array(plans.length * V);
  const meta: TargetRowMeta[] = new Array(plans.length);
  let j = 0;
  plans.forEach((_, i) => {
    const row = held[i] ?? { probs: made.data.subarray(j * V, (j + 1) * V), meta: made.meta[j++] };
    data.set(row.probs, i * V);
    meta[i] = row.meta;
  });
  return { data, meta };
}

async function makePlans(
  model: Model,
  plans: readonly TargetPlan[],
  signal: AbortSignal | undefined,
): Promise<SynthesisedTargets> {
  const V = model.info.vocabSize;
  const data = new Float32Array(plans.length * V);
  const meta: TargetRowMeta[] = new Array(plans.length);
  const at = new Map(plans.map((p, i) => [p.targetId, i]));
  for (const plan of plans) kindDef(plan.kind); // an unknown kind is refused before anything is made
  const ctx: MakeContext = {
    model,
    vocab: V,
    put(i: number, probs: Float32Array, m: Omit<TargetRowMeta, 'id' | 'kind'>) {
      data.set(probs, i * V);
      meta[i] = { id: plans[i].targetId, kind: plans[i].kind, ...m };
    },
    made(targetId: string) {
      const j = at.get(targetId);
      return j === undefined ? undefined : meta[j];
    },
    signal,
  };
  for (const kind of Object.keys(MAKERS) as TargetKind[]) {
    signal?.throwIfAborted();
    await makeKind(kind, ctx, plans);
  }
  signal?.throwIfAborted();
  // Checked in the target worker: the buffer moves there and back, never copied.
  const checked = await inTargetWorker(
    'validate',
    { data, rows: plans.length, vocab: V, names: plans.map((p) => p.targetId) },
    [data.buffer],
  );
  return { data: checked.data, meta };
}
