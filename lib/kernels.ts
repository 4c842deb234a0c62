// The kernels on plain arrays: the fused softmax-KL and HotFlip top-k, for users and tests.
import { withCallerStack } from './model/errors.js';
import { native } from './native/index.js';
import type { HotflipInput, KlInput } from './native/types-kernels.js';
import { refuseUnknownKeys } from './spec/fields.js';
import { checkTargetRows } from './tune/targets-input.js';

export type { HotflipInput, KlInput };

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

function checkCount(name: string, value: number, least: number): void {
  if (!Number.isInteger(value) || value < least)
    throw new RangeError(`${name} must be an integer of at least ${least}, got ${value}`);
}

function checkShape(name: string, a: Float32Array, want: number, shape: string): void {
  if (!(a instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
  if (a.length !== want) throw new RangeError(`${name} has ${a.length} values; expected ${shape} = ${want}`);
}

/**
 * Refuses a value the kernels turn into NaN or a meaningless order instead of an error, naming
 * the argument and its first such index. Logits may hold -Infinity (a token given no probability:
 * softmax and the KL stay exact), but not in every token of a row (no distribution is left).
 */
function checkFinite(name: string, a: Float32Array, rowLength?: number): void {
  const logits = rowLength !== undefined;
  let rowHasProbability = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x > -Infinity && x < Infinity) rowHasProbability = true;
    else if (!(logits && x === -Infinity))
      throw new RangeError(
        `${name}[${i}] is ${x}: ${name} must hold finite numbers${logits ? ' (or -Infinity for a token given no probability)' : ''}`,
      );
    if (logits && (i + 1) % rowLength === 0) {
      if (!rowHasProbability)
        throw new RangeError(
          `${name} of row ${(i + 1) / rowLength - 1} are all -Infinity: softmax gives no distribution`,
        );
      rowHasProbability = false;
    }
  }
}

/** KL(target || softmax(logits)) per row in nats, and d(Σ KL)/d logits = softmax(z) − p. */
export async function klDivergence(a: KlInput): Promise<{ klNats: Float32Array; gradLogits: Float32Array }> {
  refuseUnknownKeys('klDivergence', a, KL_INPUT, (m) => new TypeError(m), 'field');
  checkCount('rows', a.rows, 1);
  checkCount('vocab', a.vocab, 2);
  checkShape('logits', a.logits, a.rows * a.vocab, 'rows×vocab');
  checkShape('target', a.target, a.rows * a.vocab, 'rows×vocab');
  // A NaN or negative target would give a KL of 0 or far below it, not an error: checked as tune() checks.
  checkTargetRows(a.target, a.vocab);
  checkFinite('logits', a.logits, a.vocab);
  return withCallerStack('klDivergence', () => native().klDivergence(a));
}

/** For each row the k tokens with the lowest (E[x] − θ)·g, ascending; ties go to the lower id. */
export async function hotflipTopK(a: HotflipInput): Promise<{ ids: Int32Array; scores: Float32Array }> {
  refuseUnknownKeys('hotflipTopK', a, HOTFLIP_INPUT, (m) => new TypeError(m), 'field');
  // Unchecked, a negative or fractional size reached libtorch (or made k's range read 1..-5).
  for (const key of ['rows', 'hidden', 'vocab'] as const) checkCount(key, a[key], 1);
  checkShape('grad', a.grad, a.rows * a.hidden, 'rows×hidden');
  checkShape('current', a.current, a.rows * a.hidden, 'rows×hidden');
  checkShape('embeddings', a.embeddings, a.vocab * a.hidden, 'vocab×hidden');
  // A NaN or infinite value makes NaN scores, and top-k over NaN returns ids in no useful order.
  for (const key of ['grad', 'current', 'embeddings'] as const) checkFinite(key, a[key]);
  const allowed = a.vocab - new Set(a.banned ?? []).size;
  if (!Number.isInteger(a.k) || a.k < 1 || a.k > Math.min(512, allowed)) {
    throw new RangeError(
      `k must be an integer in 1..${Math.min(512, allowed)} (512, or the tokens not banned), got ${a.k}`,
    );
  }
  return withCallerStack('hotflipTopK', () => native().hotflipTopK(a));
}
