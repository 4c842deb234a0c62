// The sweep planner's target plans → distributions over the model's vocabulary, in plan order:
// each kind's maker (lib/targets/registry.ts) makes its own plans, in the registry's order.
import type { Model } from '../model/model.js';
import type { Item, SynthesisedTargets, TargetRowMeta } from './make.js';
import { kindDef, MAKING_ORDER, type TargetPlan } from './registry.js';
import { inTargetWorker } from './offload.js';

export async function synthesizePlans(model: Model, plans: readonly TargetPlan[]): Promise<SynthesisedTargets> {
  const V = model.info.vocabSize;
  const data = new Float32Array(plans.length * V);
  const meta: TargetRowMeta[] = new Array(plans.length);
  const at = new Map(plans.map((p, i) => [p.targetId, i]));
  const byKind = new Map<string, Item[]>();
  plans.forEach((plan, i) => {
    kindDef(plan.kind); // an unknown kind is refused before anything is made
    const list = byKind.get(plan.kind);
    if (list) list.push({ plan, i });
    else byKind.set(plan.kind, [{ plan, i }]);
  });
  const ctx = {
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
  };
  for (const kind of MAKING_ORDER) {
    const items = byKind.get(kind);
    if (items) await kindDef(kind).make(ctx, items);
  }
  // Checked in the target worker: the buffer moves there and back, never copied.
  const checked = await inTargetWorker(
    'validate',
    { data, rows: plans.length, vocab: V, names: plans.map((p) => p.targetId) },
    [data.buffer],
  );
  return { data: checked.data, meta };
}
