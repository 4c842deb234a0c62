// The guard on every result row: no prompt can go below the head bound, so a row that does is
// a bug somewhere (wrong weights, norm or dtype), never a finding.
import type { NativeDtype } from '../native/types-model.js';

/**
 * The relative rounding step of a logit computed in each dtype (half an ulp: the matmul
 * accumulates in float32 or wider, and its output is rounded once to the dtype).
 */
const UNIT_ROUNDOFF: Record<NativeDtype | 'float64', number> = {
  float64: 2 ** -53,
  float32: 2 ** -24,
  bfloat16: 2 ** -8,
  float16: 2 ** -11,
};

/**
 * How far below its head bound a row's klNats may fall before it is flagged: the bound's own
 * certificate (the Frank–Wolfe gap), plus the rounding of the model's forward pass, which computes
 * klNats in the model's dtype while the bound is solved in float64. Logits each within u·|z| of
 * their exact values move every log-probability, and so the KL, by at most 2u·max|z|: with
 * bfloat16 logits near 30 that is 0.23 nats, where a fixed allowance would flag sound rows. The
 * floor covers what that leaves out (the norm's own rounding, the accumulation).
 */
export function boundSlackNats(dtype: string, gapNats: number, maxAbsLogit: number): number {
  const wide = dtype === 'float32' || dtype === 'float64';
  const floor = wide ? 1e-3 : 5e-2;
  const u = UNIT_ROUNDOFF[dtype as keyof typeof UNIT_ROUNDOFF] ?? UNIT_ROUNDOFF.bfloat16;
  return gapNats + floor + 2 * u * (Number.isFinite(maxAbsLogit) ? maxAbsLogit : 0);
}

/** True when klNats is below the head bound by more than the slack: flag the row, say so loudly. */
export function belowHeadBound(
  klNats: number,
  headBoundNats: number,
  gapNats: number,
  dtype: string,
  maxAbsLogit: number,
): boolean {
  return (
    Number.isFinite(klNats) &&
    Number.isFinite(headBoundNats) &&
    klNats < headBoundNats - boundSlackNats(dtype, gapNats, maxAbsLogit)
  );
}
