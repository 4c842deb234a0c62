// The findings' statistics on constructed results: each verdict can come out either way (and
// "not enough data" where the data cannot support one), so the report's table is never a
// foregone conclusion.
import { describe, expect, it } from 'vitest';

import {
  baseNameOf,
  computeFindings,
  entropyCurve,
  type ExperimentResults,
  type FindingRecord,
} from '../lib/study/findings.js';
import type { TargetBest } from '../lib/analysis/best.js';
import { pairedComparison, signTestP } from '../lib/analysis/stats.js';

const row = (o: Partial<FindingRecord> & { targetId: string; klNats: number }): FindingRecord => ({
  targetKind: 'vanilla',
  method: 'soft',
  pattern: 'SSSSS',
  candidates: 1,
  targetEntropyBits: 0,
  requestedEntropyBits: null,
  ...o,
});

/** Vanilla targets on a grid with difficulty `kl(h)`, two inits each (the second worse). */
function vanilla(
  kl: (h: number) => number,
  grid = [0, 2, 4, 6, 8, 10, 12, 14],
  method: Partial<FindingRecord> = {},
): FindingRecord[] {
  return grid.flatMap((h) =>
    [0, 1].map((init) =>
      row({
        targetId: `vanilla:h=${h}:s=0`,
        requestedEntropyBits: h,
        targetEntropyBits: h,
        klNats: kl(h) + init * 0.5,
        targetParams: JSON.stringify({ sample: 0 }),
        ...method,
      }),
    ),
  );
}

const exp = (study: string, records: FindingRecord[], model = 'm', experiment = study): ExperimentResults => ({
  experiment,
  study,
  model,
  records,
});
const only = (findings: ReturnType<typeof computeFindings>, id: string) => findings.filter((f) => f.id === id);

describe('sign test', () => {
  it('matches the binomial tail', () => {
    expect(signTestP(5, 5)).toBeCloseTo(1 / 32, 12);
    expect(signTestP(0, 4)).toBeCloseTo(1, 12);
    expect(signTestP(8, 10)).toBeCloseTo((45 + 10 + 1) / 1024, 12);
  });
  it('counts ties against the claim', () => {
    expect(pairedComparison([1, 1, 1], [1, 2, 3])).toMatchObject({ n: 3, wins: 2, meanGapNats: 1 });
  });
});

describe('finding 1: unimodal in entropy', () => {
  it('holds for a curve that rises, peaks mid-range and falls; reports the peak', () => {
    const [f] = only(
      computeFindings([
        exp(
          'vanilla',
          vanilla((h) => 3 - Math.abs(h - 6) / 2),
        ),
      ]),
      '1',
    );
    expect(f.verdict).toBe('holds');
    expect(f.numbers.peakBits).toBe(6);
    expect(f.numbers.peakKlNats).toBeCloseTo(3, 12); // min over inits, not the worse init
  });
  it('does not hold for a curve that only rises', () => {
    const [f] = only(
      computeFindings([
        exp(
          'random-init',
          vanilla((h) => h / 4),
          'random:x',
        ),
      ]),
      '1',
    );
    expect(f.verdict).toBe('does not hold');
    expect(f.claim).toMatch(/randomly initialised/);
    expect(f.statistic).toMatch(/no clear fall/);
  });
  it('does not hold for a flat curve (a bump smaller than a tenth of the peak)', () => {
    const [f] = only(
      computeFindings([
        exp(
          'vanilla',
          vanilla((h) => (h === 6 ? 1.05 : 1)),
        ),
      ]),
      '1',
    );
    expect(f.verdict).toBe('does not hold');
  });
  it('bins 200,000 targets on a fine grid: every target counted once, each bin its own mean', () => {
    // 25 grid points (a fine grid: 12 equal bins of 0.5 bits), 8,000 targets each, kl = h + row / n.
    const n = 8000;
    const best: TargetBest[] = [];
    for (let g = 0; g < 25; g++)
      for (let i = 0; i < n; i++)
        best.push({
          targetId: `t${g}:${i}`,
          method: 'soft',
          entropyBits: g * 0.25,
          klNats: g * 0.25 + i / n,
        } as TargetBest);
    const curve = entropyCurve(best);
    expect(curve.map((b) => b.entropyBits)).toEqual(Array.from({ length: 13 }, (_, k) => k * 0.5));
    expect(curve.reduce((s, b) => s + b.n, 0)).toBe(best.length);
    // Grid points round to the nearest bin (halves away from zero): 0 → bin 0; 0.25, 0.5 → bin 0.5; …
    expect(curve[0]).toMatchObject({ n, meanKlNats: expect.closeTo(0 + (n - 1) / (2 * n), 9) });
    expect(curve[1]).toMatchObject({ n: 2 * n, meanKlNats: expect.closeTo(0.375 + (n - 1) / (2 * n), 9) });
  });
  it('needs three entropy bins', () => {
    const [f] = only(
      computeFindings([
        exp(
          'vanilla',
          vanilla((h) => h, [0, 2]),
        ),
      ]),
      '1',
    );
    expect(f.verdict).toBe('not enough data');
  });
});

describe('finding 2: soft < hybrid < hard', () => {
  const methods = (soft: number, hybrid: number, hard: number) => [
    ...vanilla((h) => soft + h / 100),
    ...vanilla((h) => hybrid + h / 100, undefined, { method: 'hybrid', pattern: 'HHSSS', candidates: 1 }),
    ...vanilla((h) => hard + h / 100, undefined, { method: 'hard', pattern: 'HHHHH', candidates: 1 }),
  ];
  it('holds when every target orders the methods so', () => {
    const [f] = only(computeFindings([exp('methods', methods(0.1, 0.5, 1))]), '2');
    expect(f.verdict).toBe('holds');
    expect(f.numbers.targets).toBe(8);
  });
  it('does not hold when hybrid beats soft', () => {
    expect(only(computeFindings([exp('methods', methods(0.5, 0.1, 1))]), '2')[0].verdict).toBe('does not hold');
  });
  it('needs all three kinds of method', () => {
    expect(
      only(
        computeFindings([
          exp(
            'methods',
            vanilla((h) => h),
          ),
        ]),
        '2',
      )[0].verdict,
    ).toBe('not enough data');
  });
});

describe('finding 3: outliers', () => {
  /** vanilla and outlier targets at h ∈ {4, 6, 8}, 2 samples each; outlier difficulty by k. */
  function outliers(easing: Record<number, number>): FindingRecord[] {
    const out: FindingRecord[] = [];
    for (const h of [4, 6, 8]) {
      for (const s of [0, 1]) {
        const base = 2 + s * 0.1 + h / 10;
        out.push(
          row({
            targetId: `vanilla:h=${h}:s=${s}`,
            requestedEntropyBits: h,
            klNats: base,
            targetParams: JSON.stringify({ sample: s }),
          }),
        );
        for (const [k, e] of Object.entries(easing)) {
          out.push(
            row({
              targetId: `outlier:k=${k}:h=${h}:s=${s}`,
              targetKind: 'outlier',
              outliers: Number(k),
              requestedEntropyBits: h,
              klNats: base - e,
              targetParams: JSON.stringify({ sample: s }),
            }),
          );
        }
      }
    }
    return out;
  }
  it('holds, and most with one outlier, when k = 1 eases most', () => {
    const f = computeFindings([exp('outliers', outliers({ 1: 1, 4: 0.3 }))]);
    expect(only(f, '3a')[0].verdict).toBe('holds');
    expect(only(f, '3a')[0].numbers.pairs).toBe(12);
    expect(only(f, '3b')[0].verdict).toBe('holds');
  });
  it('the second part fails when more outliers ease more; the first fails when outliers are harder', () => {
    expect(only(computeFindings([exp('outliers', outliers({ 1: 0.2, 4: 0.9 }))]), '3b')[0].verdict).toBe(
      'does not hold',
    );
    expect(only(computeFindings([exp('outliers', outliers({ 1: -0.5, 4: -0.5 }))]), '3a')[0].verdict).toBe(
      'does not hold',
    );
  });
  it('one k cannot say which k eases most', () => {
    expect(only(computeFindings([exp('outliers', outliers({ 1: 1 }))]), '3b')[0].verdict).toBe('not enough data');
  });
});

describe('finding 4: lm, shuffled and migrated targets', () => {
  function lm(n: number, lmKl: (i: number) => number): FindingRecord[] {
    return Array.from({ length: n }, (_, i) => [
      row({
        targetId: `lm:n=5:i=${i}`,
        targetKind: 'lm',
        method: 'hard',
        pattern: 'HHHHH',
        targetEntropyBits: i,
        klNats: lmKl(i),
      }),
      row({
        targetId: `vanilla:paired=lm:n=5:i=${i}`,
        pairedWith: `lm:n=5:i=${i}`,
        method: 'hard',
        pattern: 'HHHHH',
        targetEntropyBits: i,
        klNats: 2,
      }),
    ]).flat();
  }
  it('lm: holds when lm targets are easier in (nearly) every pair, with the gap', () => {
    const [f] = only(
      computeFindings([
        exp(
          'lm',
          lm(8, (i) => (i === 0 ? 3 : 1)),
        ),
      ]),
      '4a',
    );
    expect(f.verdict).toBe('holds');
    expect(f.numbers).toMatchObject({ pairs: 8, wins: 7 });
    expect(f.numbers.meanGapNats).toBeCloseTo((7 * 1 - 1) / 8, 12);
  });
  it('lm: does not hold when they are harder; too few pairs say so', () => {
    expect(
      only(
        computeFindings([
          exp(
            'lm',
            lm(8, () => 3),
          ),
        ]),
        '4a',
      )[0].verdict,
    ).toBe('does not hold');
    expect(
      only(
        computeFindings([
          exp(
            'lm',
            lm(4, () => 1),
          ),
        ]),
        '4a',
      )[0].verdict,
    ).toBe('not enough data');
  });
  it('shuffled: pairs each shuffle with the vanilla target matched to its lm target', () => {
    const shuffled = (kl: number) => [
      ...lm(6, () => 1),
      ...Array.from({ length: 6 }, (_, i) =>
        row({
          targetId: `shuffled:lm:n=5:i=${i}:j=0`,
          targetKind: 'shuffled',
          method: 'hard',
          pattern: 'HHHHH',
          klNats: kl,
          targetParams: JSON.stringify({ lmTarget: `lm:n=5:i=${i}` }),
        }),
      ),
    ];
    expect(only(computeFindings([exp('shuffled', shuffled(1.5))]), '4b')[0]).toMatchObject({
      verdict: 'holds',
      numbers: { pairs: 6 },
    });
    expect(only(computeFindings([exp('shuffled', shuffled(2.5))]), '4b')[0].verdict).toBe('does not hold');
  });
  it('migrated: compares with the vanilla curve at the migrated target entropy', () => {
    const migrated = (kl: number) => [
      ...vanilla((h) => 1 + h / 2, [0, 4, 8, 12], { method: 'hard', pattern: 'HHHHH' }),
      ...[1, 3, 5, 7, 9, 11].map((h) =>
        row({
          targetId: `migrated:i=${h}`,
          targetKind: 'migrated',
          method: 'hard',
          pattern: 'HHHHH',
          targetEntropyBits: h,
          klNats: kl * (1 + h / 2),
        }),
      ),
    ];
    expect(only(computeFindings([exp('migrated', migrated(0.5))]), '4c')[0]).toMatchObject({
      verdict: 'holds',
      numbers: { pairs: 6 },
    });
    expect(only(computeFindings([exp('migrated', migrated(1.5))]), '4c')[0].verdict).toBe('does not hold');
  });
});

describe('finding 5: parts of speech', () => {
  const pos = (model: string, klOf: (tag: string, i: number) => number) =>
    exp(
      'pos',
      ['noun', 'verb', 'adjective'].flatMap((tag) =>
        Array.from({ length: 6 }, (_, i) =>
          row({
            targetId: `pos-uniform:tag=${tag}:n=100:i=${i}`,
            targetKind: 'pos-uniform',
            posTag: tag,
            klNats: klOf(tag, i),
          }),
        ),
      ),
      model,
    );
  const tagKl = (tag: string, i: number) => (tag === 'adjective' ? 1 : 2) + i / 100;
  it('names instruct variants after their base', () => {
    expect(baseNameOf('Qwen/Qwen2.5-0.5B-Instruct')).toBe('qwen/qwen2.5-0.5b');
    expect(baseNameOf('google/gemma-2-2b-it')).toBe('google/gemma-2-2b');
    expect(baseNameOf('openchat/openchat')).toBeNull();
    expect(baseNameOf('random:demo')).toBeNull();
  });
  it('instruct harder than base: holds, fails, or has no pair', () => {
    const base = pos('org/m', tagKl);
    expect(only(computeFindings([base, pos('org/m-instruct', (t, i) => tagKl(t, i) + 0.3)]), '5a')[0].verdict).toBe(
      'holds',
    );
    expect(only(computeFindings([base, pos('org/m-instruct', (t, i) => tagKl(t, i) - 0.3)]), '5a')[0].verdict).toBe(
      'does not hold',
    );
    expect(only(computeFindings([base]), '5a')[0].verdict).toBe('not enough data');
  });
  it('adjectives easiest: holds or not, per model', () => {
    expect(only(computeFindings([pos('a', tagKl)]), '5b')[0].verdict).toBe('holds');
    expect(only(computeFindings([pos('a', (t, i) => (t === 'verb' ? 0.5 : tagKl(t, i)))]), '5b')[0]).toMatchObject({
      verdict: 'does not hold',
      statistic: expect.stringMatching(/lowest: verb/),
    });
  });
  it("gives a tag of one target no standard error ('—', not 0)", () => {
    const one = exp('pos', [
      row({ targetId: 'pos-uniform:tag=verb:n=100:i=0', targetKind: 'pos-uniform', posTag: 'verb', klNats: 2 }),
      ...[1, 2].map((i) =>
        row({ targetId: `pos-uniform:tag=noun:n=100:i=${i}`, targetKind: 'pos-uniform', posTag: 'noun', klNats: i }),
      ),
    ]);
    const [f] = only(computeFindings([one]), '5b');
    expect(f.verdict).toBe('not enough data');
    expect(f.statistic).toContain('verb 2.000 ± — (1)');
    expect(f.statistic).toContain('noun 1.500 ± 0.500 (2)');
  });
});

describe('finding 6: head bound share', () => {
  it('is "not enough data" without the bound columns and measured with them', () => {
    const plain = vanilla((h) => 1 + h / 10);
    expect(only(computeFindings([exp('vanilla', plain)]), '6')[0].verdict).toBe('not enough data');
    const bounded = plain.map((r) => ({ ...r, headBoundNats: 0.25 * r.klNats, bodyGapNats: 0.75 * r.klNats }));
    const [f] = only(computeFindings([exp('vanilla', bounded)]), '6');
    expect(f.verdict).toBe('measured');
    // The bound of each target's best init: a quarter of its min KL.
    expect(f.numbers.headShare).toBeCloseTo(0.25, 12);
    expect(f.numbers.meanBodyGapNats).toBeCloseTo(0.75 * (f.numbers.meanKlNats as number), 12);
  });

  it('is measured against the sphere where the results carry it, with the ball beside it', () => {
    const rows = vanilla((h) => 1 + h / 10).map((r) => ({
      ...r,
      headBoundNats: 0.25 * r.klNats,
      sphereBoundNats: 0.5 * r.klNats,
      bodyGapNats: 0.5 * r.klNats,
    }));
    const [f] = only(computeFindings([exp('vanilla', rows)]), '6');
    const kl = f.numbers.meanKlNats as number;
    expect(f.numbers.headShare).toBeCloseTo(0.5, 12);
    expect(f.numbers.meanSphereBoundNats).toBeCloseTo(0.5 * kl, 12);
    expect(f.numbers.meanHeadBoundNats).toBeCloseTo(0.25 * kl, 12);
    expect(f.numbers.meanBodyGapNats).toBeCloseTo(0.5 * kl, 12);
    expect(f.statistic).toMatch(/= sphere .*\(certified ball bound/);
  });

  it('counts the targets and the methods its means run over, not their pairs', () => {
    const bound = (r: FindingRecord) => ({ ...r, headBoundNats: 0.25 * r.klNats, sphereBoundNats: 0.5 * r.klNats });
    const soft = vanilla((h) => 1 + h / 10).map(bound);
    const methods = [
      ...soft,
      ...vanilla((h) => 2 + h / 10, undefined, { method: 'hybrid', pattern: 'HHSSS' }).map(bound),
      ...vanilla((h) => 3 + h / 10, undefined, { method: 'hard', pattern: 'HHHHH' }).map(bound),
    ];
    const [f] = only(computeFindings([exp('methods', methods)]), '6');
    expect(f.statistic).toMatch(/^over 8 targets × 3 methods: mean min KL/);
    expect(f.numbers).toMatchObject({ targets: 8, methods: 3 });
    expect(only(computeFindings([exp('vanilla', soft)]), '6')[0].statistic).toMatch(/^over 8 targets: mean min KL/);
  });
});

describe('experiments that could not run', () => {
  it('appear under their finding as "not enough data", with the reason', () => {
    const f = computeFindings(
      [
        exp(
          'vanilla',
          vanilla((h) => 3 - Math.abs(h - 6) / 2),
        ),
      ],
      [
        {
          experiment: 'random-init',
          study: 'random-init',
          model: 'random:demo',
          reason: 'random:demo is already randomly initialised',
        },
        { experiment: 'migrated', study: 'migrated', model: 'random:demo', reason: 'needs a second model' },
      ],
    );
    expect(f.map((x) => [x.id, x.verdict])).toEqual([
      ['1', 'holds'],
      ['1', 'not enough data'],
      ['4c', 'not enough data'],
      ['6', 'not enough data'],
    ]);
    expect(f[1].statistic).toBe('not run: random:demo is already randomly initialised');
  });
});
