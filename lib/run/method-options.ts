// The tune() options a sweep runs one method with, from its spec and one of the method's rows:
// runSweep tunes with them and estimateSweep calibrates with them, so a plan prices what runs.
import type { SweepSpec } from '../spec/index.js';
import type { RowPlan } from '../sweep/index.js';
import type { TuneOptions } from '../tune/index.js';

export type MethodOptions = Pick<
  TuneOptions,
  | 'method'
  | 'pattern'
  | 'candidates'
  | 'prefixLength'
  | 'lr'
  | 'weightDecay'
  | 'cudaGraph'
  | 'init'
  | 'seed'
  | 'returnSoftPrompt'
>;

export function methodOptions(spec: SweepSpec, r: Pick<RowPlan, 'method' | 'pattern' | 'candidates'>): MethodOptions {
  return {
    method: r.method,
    pattern: r.pattern,
    candidates: r.candidates,
    prefixLength: spec.prefixLength,
    lr: spec.lr,
    ...(spec.weightDecay !== undefined ? { weightDecay: spec.weightDecay } : {}),
    // A sweep's CUDA graphs are for its soft methods: a positional capture is tune()'s to ask for
    // until a GPU has checked it. Absent, tune() decides (on where graphs are exact).
    cudaGraph: spec.cudaGraph && r.method === 'soft',
    init: spec.init,
    seed: spec.seed,
    returnSoftPrompt: spec.softPrompts === true,
  };
}
