// The guard on every result row: no prompt can go below the head bound, so a row that does is
// a bug somewhere (wrong weights, norm or dtype), never a finding.

/**
 * How far below its head bound a row's klNats may fall before it is flagged: the bound's own
 * certificate (the Frank–Wolfe gap) plus the rounding of the model's forward pass, which
 * computes klNats in the model's dtype while the bound is solved in float64.
 */
export function boundSlackNats(dtype: string, gapNats: number): number {
  const rounding = dtype === 'float32' || dtype === 'float64' ? 1e-3 : 5e-2;
  return gapNats + rounding;
}

/** True when klNats is below the head bound by more than the slack: flag the row, say so loudly. */
export function belowHeadBound(klNats: number, headBoundNats: number, gapNats: number, dtype: string): boolean {
  return (
    Number.isFinite(klNats) && Number.isFinite(headBoundNats) && klNats < headBoundNats - boundSlackNats(dtype, gapNats)
  );
}
