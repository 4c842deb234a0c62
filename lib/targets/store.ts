// Targets kept for the next sweeps of a run: a study's vanilla grid is the same in vanilla,
// methods, random-init and the five prefix lengths, and was made again by each. A target that
// depends on its plan alone (a vanilla grid point or an outlier target: its seed and parameters,
// no model, made natively on the device) is the same bits over the same vocabulary and device
// whichever sweep asks, so a store given to each sweep makes it once. Targets read from a model
// (lm, shuffled, migrated, paired vanilla), a tokenizer (pos-uniform) or a file are made again.
import type { TargetRowMeta } from './make.js';
import type { TargetPlan } from './registry.js';

/** Whether `plan`'s target is a function of its plan, vocabulary and device alone. */
const planAlone = (plan: TargetPlan): boolean =>
  plan.kind === 'outlier' || (plan.kind === 'vanilla' && plan.params.pairedWith === undefined);

export class TargetStore {
  readonly #rows = new Map<string, { probs: Float32Array; meta: TargetRowMeta }>();

  #key(plan: TargetPlan, vocab: number, device: string): string | undefined {
    return planAlone(plan)
      ? JSON.stringify([device, vocab, plan.kind, plan.targetId, plan.seed, plan.params])
      : undefined;
  }

  /** Targets held: how many, and the bytes their rows take. */
  get size(): { targets: number; bytes: number } {
    let bytes = 0;
    for (const r of this.#rows.values()) bytes += r.probs.byteLength;
    return { targets: this.#rows.size, bytes };
  }

  /** How many of `plans` it holds. */
  held(plans: readonly TargetPlan[], vocab: number, device: string): number {
    return plans.filter((p) => this.get(p, vocab, device) !== undefined).length;
  }

  /** The row made earlier for `plan`, if one was. */
  get(plan: TargetPlan, vocab: number, device: string): { probs: Float32Array; meta: TargetRowMeta } | undefined {
    const key = this.#key(plan, vocab, device);
    return key === undefined ? undefined : this.#rows.get(key);
  }

  /** Keeps `probs` (copied) for `plan`, if its target depends on its plan alone. */
  keep(plan: TargetPlan, vocab: number, device: string, probs: Float32Array, meta: TargetRowMeta): void {
    const key = this.#key(plan, vocab, device);
    if (key !== undefined && !this.#rows.has(key)) this.#rows.set(key, { probs: probs.slice(), meta });
  }
}
