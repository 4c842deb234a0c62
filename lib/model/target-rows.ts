// The rule every target meets, wherever a target is given: finite, non-negative values summing to 1
// within 1e-5, in whole rows of the model's vocabulary. Model calls, the kernels, tune() and the
// head bound check their targets with it, so a bad target gets the same error everywhere.
import { native } from '../native/index.js';
import type { NativeTensor } from '../native/types-model.js';
import type { NativeTargetRowStats } from '../native/types-targets.js';
import { TargetError } from './target-error.js';

/**
 * A row's entropy in bits, one value at a time: the plain reference that targetRowStats (which
 * every check reads) is tested against.
 */
export function entropyBitsOf(p: Float32Array, offset: number, vocab: number): number {
  let h = 0;
  for (let v = 0; v < vocab; v++) {
    const x = p[offset + v];
    if (x > 0) h -= x * Math.log2(x);
  }
  return h;
}

/** What the distribution rule reads of a table: its first bad value (row-major) and each row's sum. */
type RowSummary = Pick<NativeTargetRowStats, 'firstBad' | 'firstBadValue' | 'sums'>;

/**
 * The rule every target meets: finite, non-negative values summing to 1 within 1e-5. The first
 * row that breaks it is named (a bad value before its sum), whether the table is an array or a
 * tensor on a device: both summaries come from native targetRowStats.
 */
function checkDistributions(s: RowSummary, vocab: number): void {
  const badRow = s.firstBad < 0 ? s.sums.length : Math.floor(s.firstBad / vocab);
  for (let r = 0; r < badRow; r++) {
    if (Math.abs(s.sums[r] - 1) > 1e-5)
      throw new TargetError(`target ${r} is not a distribution: it sums to ${s.sums[r]}, not 1 (within 1e-5)`);
  }
  if (s.firstBad < 0) return;
  const [x, v] = [s.firstBadValue, s.firstBad % vocab];
  const why = Number.isFinite(x) ? 'is negative' : 'is not finite';
  throw new TargetError(`target ${badRow} is not a distribution: value ${x} at token ${v} ${why}`);
}

/**
 * Checks that a plain array holds whole rows of distributions (checkDistributions); returns the
 * row count. tune() and the kernels that take a target share it, so a bad target gets the same
 * error everywhere.
 */
export function checkTargetRows(t: Float32Array, vocab: number): number {
  return checkTargetArray(t, vocab).length;
}

/** checkTargetRows, returning each row's entropy in bits from the same native pass over the array. */
export function checkTargetArray(t: Float32Array, vocab: number): Float64Array {
  if (t.length === 0 || t.length % vocab !== 0) {
    throw new TargetError(`targets has ${t.length} values, not a whole number of rows of the vocabulary size ${vocab}`);
  }
  const stats = native().targetRowStats(t, vocab);
  checkDistributions(stats, vocab);
  return stats.entropyBits;
}

/**
 * checkTargetRows for a tensor, which may live on a GPU: the rule reads a summary reduced on its
 * device. Returns each row's entropy in bits, from the same pass.
 */
export function checkTargetTensor(t: NativeTensor, vocab: number): Float64Array {
  const shape = t.shape();
  if (shape.length !== 2 || shape[1] !== vocab)
    throw new TargetError(`targets are ${shape.join('×')}; expected rows×${vocab}`);
  const stats = native().targetRowStats(t);
  checkDistributions(stats, vocab);
  return stats.entropyBits;
}
