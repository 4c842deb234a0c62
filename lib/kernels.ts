// The kernels on plain arrays: the fused softmax-KL and HotFlip top-k, for users and tests.
import { checkArray, checkCount, checkDevice, checkOneOf } from './model/arguments.js';
import { ArgumentError } from './io/argument-error.js';
import { withCallerStack } from './native/errors.js';
import { native } from './native/index.js';
import type { HotflipInput, KlInput } from './native/types-kernels.js';
import { described, refuseUnknownKeys, shown } from './spec/fields.js';
import { checkTargetRows } from './model/target-rows.js';

export type { HotflipInput, KlInput };

/** The dtypes klDivergence computes the logits in (KlInput's dtype). */
const KL_DTYPES = ['float32', 'float64', 'bfloat16', 'float16'] as const satisfies readonly NonNullable<
  KlInput['dtype']
>[];

/** KlInput's and HotflipInput's fields, as the compiler checks them against the interfaces. */
const KL_INPUT: Record<keyof KlInput, true> = {
  logits: true,
  target: true,
  rows: true,
  vocab: true,
  dtype: true,
  device: true,
};
const HOTFLIP_INPUT: Record<keyof HotflipInput, true> = {
  grad: true,
  current: true,
  embeddings: true,
  rows: true,
  hidden: true,
  vocab: true,
  k: true,
  banned: true,
  device: true,
};

/**
 * Refuses a value the kernels turn into NaN or a meaningless order instead of an error, naming
 * the argument and its first such index. Logits may hold -Infinity (a token given no probability:
 * softmax and the KL stay exact), but not in every token of a row (no distribution is left).
 */
function checkFinite(call: string, name: string, a: Float32Array, rowLength?: number): void {
  const logits = rowLength !== undefined;
  let rowHasProbability = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x > -Infinity && x < Infinity) rowHasProbability = true;
    else if (!(logits && x === -Infinity))
      throw new ArgumentError(
        `${call}: ${name}[${i}] is ${x}: ${name} must hold finite numbers${logits ? ' (or -Infinity for a token given no probability)' : ''}`,
      );
    if (logits && (i + 1) % rowLength === 0) {
      if (!rowHasProbability)
        throw new ArgumentError(
          `${call}: ${name} of row ${(i + 1) / rowLength - 1} are all -Infinity: softmax gives no distribution; ` +
            'give at least one token a finite logit',
        );
      rowHasProbability = false;
    }
  }
}

/** How many distinct tokens `banned` holds, each checked to be one of the vocabulary's (a list of a few ids). */
function bannedCount(banned: unknown, vocab: number): number {
  if (banned === undefined) return 0;
  if (!(banned instanceof Int32Array))
    throw new ArgumentError(`hotflipTopK: banned must be an Int32Array of token ids, got ${described(banned)}`);
  const bad = banned.find((id) => id < 0 || id >= vocab);
  if (bad !== undefined)
    throw new ArgumentError(
      `hotflipTopK: banned holds token id ${bad}, outside the vocabulary [0, ${vocab}): ban only ids of it`,
    );
  return new Set(banned).size;
}

/** KL(target || softmax(logits)) per row in nats, and d(Σ KL)/d logits = softmax(z) − p. */
export async function klDivergence(a: KlInput): Promise<{ klNats: Float32Array; gradLogits: Float32Array }> {
  const call = 'klDivergence';
  refuseUnknownKeys(call, a, KL_INPUT, (m) => new ArgumentError(m), 'field');
  checkCount(call, 'rows', a.rows, 1);
  checkCount(call, 'vocab', a.vocab, 2);
  checkArray(call, 'logits', a.logits, Float32Array, a.rows * a.vocab, 'rows×vocab');
  checkArray(call, 'target', a.target, Float32Array, a.rows * a.vocab, 'rows×vocab');
  checkOneOf(call, 'dtype', a.dtype, KL_DTYPES);
  checkDevice(call, a.device);
  // A NaN or negative target would give a KL of 0 or far below it, not an error: checked as tune() checks.
  checkTargetRows(a.target, a.vocab);
  checkFinite(call, 'logits', a.logits, a.vocab);
  return withCallerStack('klDivergence', () => native().klDivergence(a));
}

/** For each row the k tokens with the lowest (E[x] − θ)·g, ascending; ties go to the lower id. */
export async function hotflipTopK(a: HotflipInput): Promise<{ ids: Int32Array; scores: Float32Array }> {
  const call = 'hotflipTopK';
  refuseUnknownKeys(call, a, HOTFLIP_INPUT, (m) => new ArgumentError(m), 'field');
  // Unchecked, a negative or fractional size reached libtorch (or made k's range read 1..-5).
  for (const key of ['rows', 'hidden', 'vocab'] as const) checkCount(call, key, a[key], 1);
  checkArray(call, 'grad', a.grad, Float32Array, a.rows * a.hidden, 'rows×hidden');
  checkArray(call, 'current', a.current, Float32Array, a.rows * a.hidden, 'rows×hidden');
  checkArray(call, 'embeddings', a.embeddings, Float32Array, a.vocab * a.hidden, 'vocab×hidden');
  checkDevice(call, a.device);
  // A NaN or infinite value makes NaN scores, and top-k over NaN returns ids in no useful order.
  for (const key of ['grad', 'current', 'embeddings'] as const) checkFinite(call, key, a[key]);
  const allowed = a.vocab - bannedCount(a.banned, a.vocab);
  if (!Number.isInteger(a.k) || a.k < 1 || a.k > Math.min(512, allowed)) {
    throw new ArgumentError(
      `${call}: k must be an integer in 1..${Math.min(512, allowed)} (512, or the tokens not banned), got ${shown(a.k)}`,
    );
  }
  return withCallerStack('hotflipTopK', () => native().hotflipTopK(a));
}
