// The KL agreement check of bench/python.ts, on constructed rows: it must fail wherever one row
// disagrees with its counterpart, including when the means over rows still agree.
import { describe, expect, it } from 'vitest';

import { klAgreement } from '../bench/kl-agreement.js';

describe('klAgreement (bench/python.ts)', () => {
  it('passes rows that agree within the tolerance, and says the check tells inits apart', () => {
    const a = klAgreement(
      [
        { seed: 1, ours: 1.796973, theirs: 1.796976 },
        { seed: 2, ours: 1.791237, theirs: 1.791238 },
      ],
      1e-4,
    );
    expect(a.pass).toBe(true);
    expect(a.rows.map((r) => r.pass)).toEqual([true, true]);
    expect(a.maxDifference).toBeCloseTo(3e-6, 9);
    expect(a.spreadBetweenInits).toBeCloseTo(0.005738, 9);
    expect(a.discriminating).toBe(true);
  });

  it('fails one row off by more than its tolerance even when the means agree', () => {
    const rows = [
      { seed: 1, ours: 1.8 + 0.01, theirs: 1.8 },
      { seed: 2, ours: 1.7 - 0.01, theirs: 1.7 },
    ];
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(rows.map((r) => r.ours))).toBeCloseTo(mean(rows.map((r) => r.theirs)), 12);
    const a = klAgreement(rows, 1e-4);
    expect(a.pass).toBe(false);
    expect(a.rows.map((r) => r.pass)).toEqual([false, false]);
  });

  it('fails rows paired with another init (results of the right inits, in the wrong rows)', () => {
    const a = klAgreement(
      [
        { seed: 1, ours: 1.791237, theirs: 1.796976 },
        { seed: 2, ours: 1.796973, theirs: 1.791238 },
      ],
      1e-4,
    );
    expect(a.pass).toBe(false);
  });

  it('fails a NaN on either side, and a row missing from distprompt (NaN)', () => {
    expect(klAgreement([{ seed: 1, ours: NaN, theirs: 1.9 }], 1e-4).pass).toBe(false);
    expect(klAgreement([{ seed: 1, ours: 1.9, theirs: NaN }], 1e-4).pass).toBe(false);
    expect(klAgreement([{ seed: 1, ours: NaN, theirs: 1.9 }], 1e-4).maxDifference).toBe(Infinity);
  });

  it('uses the larger of the absolute and the relative tolerance', () => {
    expect(klAgreement([{ seed: 1, ours: 0.00005, theirs: 0 }], 0.01).pass).toBe(true); // 1e-4 absolute
    expect(klAgreement([{ seed: 1, ours: 0.0002, theirs: 0 }], 0.01).pass).toBe(false);
    expect(klAgreement([{ seed: 1, ours: 2.015, theirs: 2 }], 0.01).pass).toBe(true); // 2% of 2 = 0.02
    expect(klAgreement([{ seed: 1, ours: 2.025, theirs: 2 }], 0.01).pass).toBe(false);
  });

  it('says when the spread between inits is within the tolerance (the check cannot tell inits apart)', () => {
    const a = klAgreement(
      [
        { seed: 1, ours: 1.94832, theirs: 1.94832 },
        { seed: 2, ours: 1.94833, theirs: 1.94833 },
      ],
      1e-4,
    );
    expect(a.pass).toBe(true);
    expect(a.discriminating).toBe(false);
  });

  it('rejects no rows, two rows of one seed and negative tolerances', () => {
    expect(() => klAgreement([], 1e-4)).toThrow(/no rows/);
    expect(() =>
      klAgreement(
        [
          { seed: 1, ours: 1, theirs: 1 },
          { seed: 1, ours: 1, theirs: 1 },
        ],
        1e-4,
      ),
    ).toThrow(/share a seed/);
    expect(() => klAgreement([{ seed: 1, ours: 1, theirs: 1 }], -1)).toThrow(/at least 0/);
  });
});
