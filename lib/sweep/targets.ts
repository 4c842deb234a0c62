// Spec → ordered target plans. A plan says which target to synthesise (kind and parameters) and
// names it with a stable id built from those parameters, e.g. 'vanilla:h=1.25:s=0'. Each kind's
// ids and plans live in lib/targets/registry.ts, shared with synthesizeTargets.

import { resolveGrids, SpecError, type SweepSpec } from '../spec/index.js';
import { planEntry, type TargetPlan } from '../targets/registry.js';

export { formatBits, type TargetPlan } from '../targets/registry.js';

export interface PlanOptions {
  /** Number of targets in a `file` target's file; required when the spec has one. */
  fileTargetCount?: (path: string) => number;
}

export function planTargets(spec: SweepSpec, vocabSize: number, options: PlanOptions = {}): TargetPlan[] {
  const plans: TargetPlan[] = [];
  const origin = new Map<string, number>();
  resolveGrids(spec, vocabSize).forEach((t, index) => {
    for (const plan of planEntry(t, {
      seed: spec.seed,
      where: `targets[${index}]`,
      fileTargetCount: options.fileTargetCount,
    })) {
      const first = origin.get(plan.targetId);
      if (first !== undefined) {
        throw new SpecError([
          {
            path: `targets[${index}]`,
            message: `plans target '${plan.targetId}', which targets[${first}] already plans; remove one of the two entries`,
          },
        ]);
      }
      origin.set(plan.targetId, index);
      plans.push(plan);
    }
  });
  return plans;
}
