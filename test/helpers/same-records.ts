// Two runs of the same rows that must agree row by row (one epoch against another that claims
// the same results): the same best and final prompts, best epoch, epochs and stop reason, KL and
// soft prompt within float rounding.
import { expect } from 'vitest';

import type { TuneRecord } from '../../lib/tune/index.js';

/** `b`'s records paired with `a`'s by row, every row of `a` found in `b`. */
export function pairByRow(a: TuneRecord[], b: TuneRecord[]): [TuneRecord, TuneRecord][] {
  const byId = new Map(b.map((r) => [r.rowId, r]));
  expect(byId.size).toBe(a.length);
  return a.map((r) => [r, byId.get(r.rowId)!]);
}

/** Each pair [reference, other] agrees; KL and soft prompts within `tolerance` (0: to the bit). */
export function expectSameRecords(pairs: [TuneRecord, TuneRecord][], tolerance = 1e-4): void {
  for (const [ref, other] of pairs) {
    const row = ref.rowId;
    expect(Array.from(other.promptIds), row).toEqual(Array.from(ref.promptIds));
    expect(Array.from(other.finalIds), row).toEqual(Array.from(ref.finalIds));
    expect(other.bestEpoch, row).toBe(ref.bestEpoch);
    expect(other.epochs, row).toBe(ref.epochs);
    expect(other.stopReason, row).toBe(ref.stopReason);
    expect(Math.abs(other.klNats - ref.klNats), row).toBeLessThanOrEqual(tolerance * Math.max(1, ref.klNats));
    if (ref.softPrompt) {
      let worst = 0;
      for (let i = 0; i < ref.softPrompt.length; i++)
        worst = Math.max(worst, Math.abs(ref.softPrompt[i] - other.softPrompt![i]));
      expect(worst, row).toBeLessThanOrEqual(tolerance);
    }
  }
}

/**
 * The rows whose search this machine's rounding alone changes: `control` pairs a reference run
 * with itself at another batch shape (the same maths, GEMMs rounded otherwise), and a row whose
 * hard choices, epochs or stop differ there met a near-tie, which either run may break either
 * way. Which rows do depends on the CPU's kernels and thread count.
 */
export function rowsRoundingFlips(control: [TuneRecord, TuneRecord][]): Set<string> {
  const same = (a: TuneRecord, b: TuneRecord) =>
    a.promptIds.join() === b.promptIds.join() &&
    a.finalIds.join() === b.finalIds.join() &&
    a.bestEpoch === b.bestEpoch &&
    a.epochs === b.epochs &&
    a.stopReason === b.stopReason;
  return new Set(control.filter(([a, b]) => !same(a, b)).map(([a]) => a.rowId));
}

/**
 * expectSameRecords over the rows rounding does not flip (rowsRoundingFlips), which must be at
 * least `min` of them: a difference there is the code's, not a near-tie's.
 */
export function expectSameRecordsBeyondTies(
  pairs: [TuneRecord, TuneRecord][],
  control: [TuneRecord, TuneRecord][],
  min: number,
  tolerance = 1e-4,
): void {
  const flips = rowsRoundingFlips(control);
  const compared = pairs.filter(([r]) => !flips.has(r.rowId));
  expect(compared.length, `rows compared (${flips.size} met a near-tie of rounding)`).toBeGreaterThanOrEqual(min);
  expectSameRecords(compared, tolerance);
}
