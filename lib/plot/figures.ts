// The study's figures as Vega-Lite specs. Each builder returns null when the data cannot support
// its figure (e.g. no outlier targets), so `plotAll` draws exactly what the results allow.

import { bestPerTarget, type PlotRecord, type TargetBest } from '../analysis/best.js';
import { linearRegression } from '../analysis/stats.js';
import {
  boxes,
  figure,
  H_AXIS,
  KL_AXIS,
  klBands,
  manyModels,
  SERIES_COLOR,
  series,
  SIZE,
  type Figure,
} from './figure.js';
import type { FigureOptions } from './figure-options.js';

/** Fig. 1, 4, 6, 11: KL vs target entropy for vanilla targets, one series per method (and model). */
export function klVsEntropy(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records).filter((b) => b.kind === 'vanilla' && b.pairedWith === null);
  if (best.length === 0) return null;
  const head = {
    id: 'kl-vs-entropy',
    title: 'Difficulty vs target entropy (vanilla targets)',
    paperFigure: 'Fig. 1, 4, 6, 11',
  };
  return klBands(head, best, o, 'entropyBits');
}

/** Fig. 7: outlier targets against vanilla ones of the same entropy. */
export function outlierVsVanilla(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records).filter(
    (b) => (b.kind === 'vanilla' && b.pairedWith === null) || b.kind === 'outlier',
  );
  if (!best.some((b) => b.kind === 'outlier') || !best.some((b) => b.kind === 'vanilla')) return null;
  const kind = (b: TargetBest) => (b.kind === 'outlier' ? `outlier k=${b.outliers ?? '?'}` : 'vanilla');
  const head = { id: 'outlier-vs-vanilla', title: 'Outlier vs vanilla targets', paperFigure: 'Fig. 7' };
  return klBands(head, best, o, 'entropyBits', kind);
}

/** Fig. 9: LM targets, their shuffles and vanilla targets, by achieved target entropy. */
export function lmShuffledVanilla(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const all = bestPerTarget(records);
  if (!all.some((b) => b.kind === 'lm') || !all.some((b) => b.kind === 'shuffled')) return null;
  // Matched vanilla targets where the sweep has them; otherwise every vanilla target.
  const paired = all.some((b) => b.kind === 'vanilla' && b.pairedWith !== null);
  const best = all.filter(
    (b) => b.kind === 'lm' || b.kind === 'shuffled' || (b.kind === 'vanilla' && (!paired || b.pairedWith !== null)),
  );
  const head = {
    id: 'lm-shuffled-vanilla',
    title: 'LM-generated, shuffled and vanilla targets',
    paperFigure: 'Fig. 9',
  };
  return klBands(head, best, o, 'targetEntropyBits', (b) => b.kind);
}

/** Fig. 10: LM targets migrated from other models' vocabularies, against this model's own. */
export function migratedSources(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const all = bestPerTarget(records);
  if (!all.some((b) => b.kind === 'migrated')) return null;
  const best = all.filter((b) => b.kind === 'migrated' || b.kind === 'lm');
  const source = (b: TargetBest) => (b.kind === 'lm' ? 'own (lm)' : `from ${b.sourceModel ?? '?'}`);
  const head = { id: 'migrated', title: 'Targets migrated across tokenizers', paperFigure: 'Fig. 10' };
  return klBands(head, best, o, 'targetEntropyBits', source);
}

/** Fig. 5: the entropy the model reached at its best prompt against the target's. */
export function achievedVsTargetEntropy(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records);
  if (best.length === 0) return null;
  const models = manyModels(best);
  const rows = best.map((b) => ({
    targetEntropyBits: b.targetEntropyBits,
    modelEntropyBits: b.modelEntropyBits,
    series: series(b, b.method, models),
    targetId: b.targetId,
  }));
  const max = Math.max(...best.map((b) => Math.max(b.targetEntropyBits, b.modelEntropyBits)));
  const head = { id: 'achieved-entropy', title: 'Achieved vs target entropy', paperFigure: 'Fig. 5' };
  return figure(head, o, SIZE.scatter, {
    layer: [
      {
        name: 'diagonal',
        data: {
          values: [
            { a: 0, b: 0 },
            { a: max, b: max },
          ],
        },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } },
      },
      {
        name: 'points',
        data: { values: rows },
        mark: { type: 'point', filled: true, opacity: 0.6 },
        encoding: {
          x: { field: 'targetEntropyBits', type: 'quantitative', axis: H_AXIS },
          y: {
            field: 'modelEntropyBits',
            type: 'quantitative',
            axis: { title: "model's entropy at best prompt (bits)" },
          },
          color: SERIES_COLOR,
        },
      },
    ],
  });
}

export interface PairedPoint {
  lmKlNats: number;
  vanillaKlNats: number;
  series: string;
}

/** The matched (lm, vanilla of the same entropy) pairs, per method and model. */
export function pairedPoints(records: readonly PlotRecord[]): PairedPoint[] {
  const best = bestPerTarget(records);
  const models = manyModels(best);
  const lm = new Map(
    best.filter((b) => b.kind === 'lm').map((b) => [`${b.model ?? ''}\u0000${b.method}\u0000${b.targetId}`, b]),
  );
  const out: PairedPoint[] = [];
  for (const v of best) {
    if (v.kind !== 'vanilla' || v.pairedWith === null) continue;
    const partner = lm.get(`${v.model ?? ''}\u0000${v.method}\u0000${v.pairedWith}`);
    if (partner) out.push({ lmKlNats: partner.klNats, vanillaKlNats: v.klNats, series: series(v, v.method, models) });
  }
  return out;
}

/** Fig. 8: each lm target against its matched vanilla target, with a least-squares line and R² per series. */
export function pairedLmVsVanilla(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const points = pairedPoints(records);
  const names = [...new Set(points.map((p) => p.series))];
  const fits = names.flatMap((name) => {
    const mine = points.filter((p) => p.series === name);
    const fit = linearRegression(
      mine.map((p) => p.lmKlNats),
      mine.map((p) => p.vanillaKlNats),
    );
    if (!fit) return [];
    const xs = mine.map((p) => p.lmKlNats);
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
    return [
      {
        name,
        fit,
        line: [lo, hi].map((x) => ({ lmKlNats: x, vanillaKlNats: fit.slope * x + fit.intercept, series: name })),
      },
    ];
  });
  if (fits.length === 0) return null;
  const x = { field: 'lmKlNats', type: 'quantitative' as const, axis: { title: 'lm target: min KL (nats)' } };
  const y = {
    field: 'vanillaKlNats',
    type: 'quantitative' as const,
    axis: { title: 'matched vanilla target: min KL (nats)' },
  };
  // R² per series as the subtitle: always legible, never competing with the points for space.
  const subtitle = fits.map(
    (f) => `${f.name}: R² = ${f.fit.rSquared.toFixed(3)}, slope ${f.fit.slope.toFixed(2)}, n = ${f.fit.n}`,
  );
  const head = { id: 'lm-vs-vanilla', title: 'LM targets vs matched vanilla targets', paperFigure: 'Fig. 8', subtitle };
  return figure(head, o, SIZE.scatter, {
    layer: [
      {
        name: 'points',
        data: { values: points },
        mark: { type: 'point', filled: true, opacity: 0.6 },
        encoding: { x, y, color: SERIES_COLOR },
      },
      {
        name: 'fits',
        data: { values: fits.flatMap((f) => f.line) },
        mark: { type: 'line' },
        encoding: { x, y, color: SERIES_COLOR, detail: { field: 'series' } },
      },
    ],
  });
}

/** Fig. 13: uniform targets over tokens of one part of speech, as box plots of min KL per tag. */
export function posBoxes(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records).filter((b) => b.kind === 'pos-uniform' && b.posTag !== null);
  if (best.length === 0) return null;
  const models = manyModels(best);
  const rows = best.map((b) => ({ posTag: b.posTag, klNats: b.klNats, series: series(b, b.method, models) }));
  const head = { id: 'pos', title: 'Uniform targets over one part of speech', paperFigure: 'Fig. 13' };
  return figure(head, o, SIZE.boxes, {
    data: { values: rows },
    layer: [
      {
        name: 'boxes',
        ...boxes({ field: 'posTag', title: 'part of speech' }, { field: 'klNats', title: KL_AXIS.title }),
      },
    ],
  });
}
