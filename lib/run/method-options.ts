// The tune() options a sweep runs one method with, from its spec and one of the method's rows:
// runSweep tunes with them and estimateSweep calibrates with them, so a plan prices what runs.
// Beside them, the one table of the sweep settings a method's rows do not read, which the key a
// finished row is shared under leaves out (lib/run/shared-rows.ts) and which `distprompt sweep`
// refuses where no method of the sweep reads one the user gave (lib/cli/ignored-settings.ts).
import type { MethodName, SweepSpec } from '../spec/index.js';
import type { RowPlan } from '../sweep/index.js';
import { SOFT_POSITION_OPTIONS, type SoftPositionOption, type TuneOptions } from '../tune/index.js';

/**
 * The sweep setting that sets each tune() option a hard method does not read (SOFT_POSITION_OPTIONS),
 * or null where a spec has none (AdamW's betas and eps are the study's). The compiler asks for an
 * entry for every such option, so this table cannot fall behind tune()'s.
 */
const SWEEP_SETTING: Record<SoftPositionOption, keyof SweepSpec | null> = {
  lr: 'lr',
  beta1: null,
  beta2: null,
  eps: null,
  weightDecay: 'weightDecay',
  init: 'init',
  returnSoftPrompt: 'softPrompts',
};

/**
 * The sweep settings each method's rows run without: a row's result is the same whatever they
 * are, so a row finished under one value stands for a row under another. Only what the code path
 * shows and a test checks (test/reuse-settings.test.ts); every other setting (the random stream,
 * batching, dtype, device, budget and stop rule among them) is a row's.
 * - hard: the settings of tune()'s soft-position options (SOFT_POSITION_OPTIONS, which tune()
 *   refuses for a hard method, and which methodOptions leaves out of a hard row's): `lr` and
 *   `weightDecay` are AdamW's, which steps soft positions only (native/tune/tuner.cc,
 *   Tuner::adamw; a hard row has none). Its `softPrompt` is null under `softPrompts` too
 *   (lib/tune/harvest.ts: only a pattern with an S has one). `init` 'gaussian' draws soft
 *   positions only: every row's first tokens come first from its seed's stream (Tuner::load), so
 *   a hard row starts from the same prompt under either init.
 * - hard and hybrid: a sweep's CUDA graphs are for the methods that read `cudaGraph`
 *   (methodOptions below turns a sweep's `true` off for the others): a positional capture is
 *   tune()'s to ask for until a GPU has checked it, and a graph replays its epoch exactly.
 * A hybrid row runs AdamW on its soft positions and returns their soft prompt: it reads the rest.
 */
export const SETTINGS_IGNORED: Readonly<Record<MethodName, readonly (keyof SweepSpec)[]>> = {
  soft: [],
  hard: [...SOFT_POSITION_OPTIONS.flatMap((o) => SWEEP_SETTING[o] ?? []), 'cudaGraph'],
  hybrid: ['cudaGraph'],
};

/** Whether a row of `method` runs with the sweep setting `field` (SETTINGS_IGNORED). */
export const readsSetting = (method: MethodName, field: string): boolean =>
  !(SETTINGS_IGNORED[method] as readonly string[]).includes(field);

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
  const options: MethodOptions = {
    method: r.method,
    pattern: r.pattern,
    candidates: r.candidates,
    prefixLength: spec.prefixLength,
    lr: spec.lr,
    ...(spec.weightDecay !== undefined ? { weightDecay: spec.weightDecay } : {}),
    // A sweep's CUDA graphs are for the methods that read them; absent, tune() decides (on where
    // graphs are exact), for every method.
    cudaGraph: spec.cudaGraph && readsSetting(r.method, 'cudaGraph'),
    init: spec.init,
    seed: spec.seed,
    returnSoftPrompt: spec.softPrompts === true,
  };
  // tune() refuses what a hard row does not read, rather than run as if it did.
  if (r.method === 'hard') for (const o of SOFT_POSITION_OPTIONS) delete options[o as keyof MethodOptions];
  return options;
}
