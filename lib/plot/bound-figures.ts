// The head bounds beside the KL prompts reach: which share of a target's difficulty is the
// output layer's (no prompt goes below the sphere value, nor the certified ball bound under it)
// and which is the body's (bodyGap, measured from the sphere).
import type { TopLevelSpec } from 'vega-lite';

import { binOf, bestPerTarget, type PlotRecord } from '../analysis/best.js';
import { errorBand, H_X, SERIES_COLOR, LEGEND, manyModels, SCHEMA, type Figure } from './figure.js';
import { DEFAULT_BIN_BITS, type FigureOptions } from './figure-options.js';

/** Vanilla targets against entropy: bottleneck, sphere and ball bounds, and the KL each method reaches. */
export function boundsVsEntropy(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records).filter((b) => b.kind === 'vanilla' && b.pairedWith === null);
  if (!best.some((b) => b.headBoundNats !== null)) return null;
  const models = manyModels(best);
  const label = (model: string | undefined, what: string) => (models && model ? `${model} · ${what}` : what);
  const rows: { hBin: number; klNats: number; series: string }[] = [];
  const seen = new Set<string>();
  for (const b of best) {
    const hBin = binOf(b.entropyBits, o.binBits ?? DEFAULT_BIN_BITS);
    rows.push({ hBin, klNats: b.klNats, series: label(b.model, `KL reached · ${b.method}`) });
    // A target's bounds are the same under every method: one point each.
    const key = `${b.model ?? ''}\u0000${b.targetId}`;
    if (seen.has(key) || b.headBoundNats === null) continue;
    seen.add(key);
    rows.push({
      hBin,
      klNats: b.headBoundNats,
      series: label(b.model, 'ball bound (certified; final norm + LM head)'),
    });
    if (b.sphereBoundNats !== null)
      rows.push({ hBin, klNats: b.sphereBoundNats, series: label(b.model, "sphere (the norm's outputs + LM head)") });
    if (b.bottleneckBoundNats !== null)
      rows.push({ hBin, klNats: b.bottleneckBoundNats, series: label(b.model, 'bottleneck bound (LM head alone)') });
  }
  const title = 'Where the difficulty comes from: bounds and KL reached (vanilla targets)';
  // Both layers name the axis: vega-lite joins a layer's unnamed field ('klNats') into the title.
  const axis = { title: 'KL (nats), mean over targets' };
  const y = { aggregate: 'mean' as const, field: 'klNats', type: 'quantitative' as const, axis };
  return {
    id: 'bounds-vs-entropy',
    title,
    paperFigure: 'beyond the paper',
    caption:
      "No prompt can go below the certified ball bound, nor, where its last residual stream's variance is far above the final norm's ε (trained models; small random weights can leave a prompt just inside), below the sphere (the final norm's outputs through the LM head); the gap between the sphere and the KL reached is the body, the prompt length and the search, and the gap between the sphere and the bottleneck is the final norm.",
    spec: {
      $schema: SCHEMA,
      title,
      width: o.width ?? 480,
      height: o.height ?? 300,
      data: { values: rows },
      layer: [
        errorBand(axis, 0.2),
        { mark: { type: 'line', point: true }, encoding: { x: H_X, y, color: SERIES_COLOR } },
      ],
    } as TopLevelSpec,
  };
}

/** bodyGap (KL reached − sphere value) per target kind, one box per method. */
export function bodyGapByKind(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records).filter((b) => b.bodyGapNats !== null);
  if (best.length === 0) return null;
  const models = manyModels(best);
  const rows = best.map((b) => ({
    kind: b.kind === 'vanilla' && b.pairedWith !== null ? 'vanilla (paired)' : b.kind,
    bodyGapNats: b.bodyGapNats,
    series: models && b.model ? `${b.model} · ${b.method}` : b.method,
  }));
  const title = 'What the body fails to reach, by target kind';
  return {
    id: 'body-gap-by-kind',
    title,
    paperFigure: 'beyond the paper',
    caption:
      "The KL reached above each target's sphere value: the part of the difficulty the output layer does not explain, compared across target kinds.",
    spec: {
      $schema: SCHEMA,
      title,
      width: o.width ?? 420,
      height: o.height ?? 300,
      data: { values: rows },
      mark: { type: 'boxplot', extent: 1.5 },
      encoding: {
        x: { field: 'kind', type: 'nominal', axis: { title: 'target kind', labelAngle: 0 } },
        xOffset: { field: 'series' },
        // The field's title, not the axis': a boxplot's parts would each add theirs to the axis'.
        y: { field: 'bodyGapNats', type: 'quantitative', title: 'body gap: KL reached − sphere value (nats)' },
        color: { field: 'series', type: 'nominal', title: null, legend: LEGEND },
      },
    } as TopLevelSpec,
  };
}
