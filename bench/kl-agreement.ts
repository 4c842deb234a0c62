// Do distprompt and a reference implementation compute the same search? Both tune the same target
// from the same initial prompt (the same seed) with the same optimiser for the same steps, so each
// row's best KL must agree with its counterpart, row by row. A mean over rows would hide a wrong
// row behind the others, and rows of different inits differ by the spread between inits, which a
// tolerance wide enough to cover it could never fail on.

export interface KlRow {
  /** the seed of the row's initial prompt, the same on both sides */
  seed: number;
  /** best KL (nats) reached by distprompt */
  ours: number;
  /** best KL (nats) reached by the reference */
  theirs: number;
}

export interface KlAgreement {
  rows: (KlRow & { difference: number; tolerance: number; pass: boolean })[];
  maxDifference: number;
  /** max − min of the reference's best KL over the rows: how far apart different inits land */
  spreadBetweenInits: number;
  /**
   * whether the check can tell a row from another init's: the spread between inits exceeds the
   * tolerance. When it does not (a model that reaches the same KL from every init), agreement
   * shows that the optimisation agrees, not that the inits do.
   */
  discriminating: boolean;
  pass: boolean;
}

/**
 * Row by row: |ours − theirs| ≤ max(absolute, relative · theirs) for every row. relative covers
 * the rounding two implementations of the same maths differ by after some steps (summation order
 * in the matmuls and the softmax; 16-bit weights round differently again); NaN fails.
 */
export function klAgreement(rows: readonly KlRow[], relative: number, absolute = 1e-4): KlAgreement {
  if (rows.length === 0) throw new Error('klAgreement: no rows to compare');
  if (!(relative >= 0) || !(absolute >= 0))
    throw new Error(`klAgreement: tolerances must be at least 0 (relative ${relative}, absolute ${absolute})`);
  const seeds = new Set(rows.map((r) => r.seed));
  if (seeds.size !== rows.length)
    throw new Error('klAgreement: two rows share a seed; each row must be a different init');
  const checked = rows.map((r) => {
    const difference = Math.abs(r.ours - r.theirs);
    const tolerance = Math.max(absolute, relative * Math.abs(r.theirs));
    return { ...r, difference, tolerance, pass: difference <= tolerance };
  });
  const theirs = rows.map((r) => r.theirs);
  const spreadBetweenInits = Math.max(...theirs) - Math.min(...theirs);
  return {
    rows: checked,
    maxDifference: Math.max(...checked.map((r) => (Number.isNaN(r.difference) ? Infinity : r.difference))),
    spreadBetweenInits,
    discriminating: spreadBetweenInits > Math.max(...checked.map((r) => r.tolerance)),
    pass: checked.every((r) => r.pass),
  };
}
