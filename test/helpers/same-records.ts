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
  return new Set(control.filter(([a, b]) => !sameChoices(a, b)).map(([a]) => a.rowId));
}

/** The two runs of a row made the same choices: prompts, best epoch, epochs and stop. */
function sameChoices(a: TuneRecord, b: TuneRecord): boolean {
  return (
    a.promptIds.join() === b.promptIds.join() &&
    a.finalIds.join() === b.finalIds.join() &&
    a.bestEpoch === b.bestEpoch &&
    a.epochs === b.epochs &&
    a.stopReason === b.stopReason
  );
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

/**
 * Two searches that claim the same results, held to them whatever the ties: a row whose runs
 * made the same choices is held to expectSameRecords; a row where they did not must be a tie,
 * two prompts equally good to float rounding that rounding alone ordered. (The best prompt is a
 * trajectory's first strict minimum, and the tuner's loss moves in steps of 2^-20, a float32
 * unit of the log-sum-exp (about 11 here) it carries: a later prompt whose loss is one step lower
 * in one run and equal in the other is the best in one only.) For such a row both runs' minima agree within
 * `tieTolerance`, and each is the KL that `klAt` (a plain forward) gives at the prompt its run
 * returns: a run that computed a wrong loss reports a minimum no forward reproduces, and one
 * that chose wrongly lands elsewhere. The default is about 5 steps; a prefix cache grown with a
 * stale or shifted position missed by 1.9e-5 and more. At least `min` rows must agree outright.
 */
export async function expectSameRecordsOrTies(
  pairs: [TuneRecord, TuneRecord][],
  klAt: (r: TuneRecord) => Promise<number>,
  min: number,
  tieTolerance = 5e-6,
): Promise<void> {
  const same = pairs.filter(([a, b]) => sameChoices(a, b));
  expect(same.length, `rows whose runs made the same choices (of ${pairs.length})`).toBeGreaterThanOrEqual(min);
  expectSameRecords(same);
  for (const [ref, other] of pairs.filter(([a, b]) => !sameChoices(a, b))) {
    const scale = Math.max(1, ref.klNats);
    const row = `${ref.rowId}: a tie? klNats ${ref.klNats} against ${other.klNats}`;
    expect(Math.abs(other.klNats - ref.klNats), row).toBeLessThanOrEqual(tieTolerance * scale);
    for (const r of [ref, other]) {
      const kl = await klAt(r);
      expect(Math.abs(kl - r.klNats), `${row}; ${kl} at [${Array.from(r.promptIds)}]`).toBeLessThanOrEqual(
        tieTolerance * scale,
      );
    }
  }
}
