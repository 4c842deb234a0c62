// Turns the planner's target plans into target distributions on the model's vocabulary, through
// lib/targets (the six kinds of the study). Plans come in plan order; a paired vanilla target
// follows its lm target, whose achieved entropy it takes.
import type { Model } from '../model/model.js';
import type { RunRecord } from '../results/index.js';
import type { TargetPlan } from '../sweep/index.js';

export interface SynthesisedTargets {
  /** count × vocab, row i is plans[i] */
  data: Float32Array;
  meta: TargetRowMeta[];
}

/** The target metadata columns of a result row (lib/results RunRecord), one place for both. */
type TargetColumns = 'outliers' | 'outlierMass' | 'm' | 'sourceModel' | 'shuffleIndex' | 'posTag' | 'lmPromptIds' | 'pairedWith';

/** What a result row records about its target. */
export type TargetRowMeta = Pick<RunRecord, TargetColumns> & {
  id: string;
  kind: string;
  entropyBits: number;
  requestedEntropyBits: number | null;
  params: Record<string, unknown>;
};

export async function synthesisePlans(model: Model, plans: readonly TargetPlan[]): Promise<SynthesisedTargets> {
  const { synthesizePlans } = await import('../targets/index.js');
  return synthesizePlans(model, plans);
}
