// Turns the planner's target plans into target distributions on the model's vocabulary, through
// lib/targets (the six kinds of the study). Plans come in plan order; a paired vanilla target
// follows its lm target, whose achieved entropy it takes.
import type { Model } from '../model/model.js';
import type { TargetPlan } from '../sweep/index.js';

export interface SynthesisedTargets {
  /** count × vocab, row i is plans[i] */
  data: Float32Array;
  meta: TargetRowMeta[];
}

/** What a result row records about its target. */
export interface TargetRowMeta {
  id: string;
  kind: string;
  entropyBits: number;
  requestedEntropyBits: number | null;
  outliers?: number | null;
  outlierMass?: number | null;
  m?: number | null;
  sourceModel?: string | null;
  shuffleIndex?: number | null;
  posTag?: string | null;
  lmPromptIds?: ArrayLike<number> | null;
  pairedWith?: string | null;
  params: Record<string, unknown>;
}

export async function synthesisePlans(model: Model, plans: readonly TargetPlan[]): Promise<SynthesisedTargets> {
  const { synthesizePlans } = await import('../targets/index.js');
  return synthesizePlans(model, plans);
}
