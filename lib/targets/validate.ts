// Every target is checked before use: length, finite, non-negative, sums to 1 within 1e-5.
import { refuseUnknownKeys, shown } from '../spec/fields.js';
import { TargetError } from '../model/target-error.js';

export interface ValidateOptions {
  /** rescale each row that sums to something other than 1 (but above 0) instead of refusing it */
  renormalize?: boolean | undefined;
  /** each row's name for the messages (default: target <index>) */
  names?: string[] | undefined;
}

/** What a caller of validateTargets can do about a row that does not sum to 1. */
export const RENORMALIZE_HINT = '; pass renormalize to rescale it';

/** ValidateOptions' fields, as the compiler checks them against the interface. */
const VALIDATE_OPTIONS: Record<keyof ValidateOptions, true> = { renormalize: true, names: true };

export function validateTargets(
  data: Float32Array,
  rows: number,
  vocab: number,
  options: ValidateOptions = {},
): Float32Array {
  refuseUnknownKeys('validateTargets', options, VALIDATE_OPTIONS, (m) => new TargetError(m));
  // A missing count was told as 'expected 1 rows × undefined (the vocabulary) = NaN'.
  for (const [field, n, least] of [
    ['rows', rows, 0], // none: a resume or plan with nothing left to make
    ['vocab', vocab, 2],
  ] as const)
    if (!Number.isInteger(n) || n < least)
      throw new TargetError(`validateTargets: ${field} must be an integer of at least ${least}, got ${shown(n)}`);
  const name = (r: number) => (options.names?.[r] ? `target '${options.names[r]}'` : `target ${r}`);
  if (data.length !== rows * vocab) {
    throw new TargetError(
      `targets have ${data.length} values; expected ${rows} rows × ${vocab} (the vocabulary) = ${rows * vocab}`,
    );
  }
  const out = options.renormalize ? data.slice() : data;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let v = r * vocab; v < (r + 1) * vocab; v++) {
      const x = data[v];
      if (!Number.isFinite(x))
        throw new TargetError(`${name(r)} is not a distribution: value ${x} at token ${v - r * vocab} is not finite`);
      if (x < 0)
        throw new TargetError(`${name(r)} is not a distribution: value ${x} at token ${v - r * vocab} is negative`);
      sum += x;
    }
    if (Math.abs(sum - 1) > 1e-5) {
      if (!options.renormalize || sum <= 0)
        throw new TargetError(
          `${name(r)} is not a distribution: it sums to ${sum}, not 1 (within 1e-5)${options.renormalize ? '' : RENORMALIZE_HINT}`,
        );
      for (let v = r * vocab; v < (r + 1) * vocab; v++) out[v] /= sum;
    }
  }
  return out;
}
