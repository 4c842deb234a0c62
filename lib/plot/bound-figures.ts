// The head bounds beside the KL prompts reach: which share of a target's difficulty is the
// output layer's (no prompt goes below the sphere value, nor the certified ball bound under it)
// and which is the body's (bodyGap, measured from the sphere).
import { binOf, bestPerTarget, type PlotRecord } from '../analysis/best.js';
import {
  boxes,
  errorBand,
  figure,
  H_X,
  manyModels,
  meanKl,
  SERIES_COLOR,
  series,
  SIZE,
  type Figure,
} from './figure.js';
import { DEFAULT_BIN_BITS, type FigureOptions } from './figure-options.js';

/** Vanilla targets against entropy: bottleneck, sphere and ball bounds, and the KL each method reaches. */
export function boundsVsEntropy(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records).filter((b) => b.kind === 'vanilla' && b.pairedWith === null);
  if (!best.some((b) => b.headBoundNats !== null)) return null;
  const models = manyModels(best);
  const rows: { hBin: number; klNats: number; series: string }[] = [];
  const seen = new Set<string>();
  for (const b of best) {
    const hBin = binOf(b.entropyBits, o.binBits ?? DEFAULT_BIN_BITS);
    rows.push({ hBin, klNats: b.klNats, series: series(b, `KL reached · ${b.method}`, models) });
    // A target's bounds are the same under every method: one point each.
    const key = `${b.model ?? ''}\u0000${b.targetId}`;
    if (seen.has(key) || b.headBoundNats === null) continue;
    seen.add(key);
    rows.push({
      hBin,
      klNats: b.headBoundNats,
      series: series(b, 'ball bound (certified; final norm + LM head)', models),
    });
    if (b.sphereBoundNats !== null)
      rows.push({
        hBin,
        klNats: b.sphereBoundNats,
        series: series(b, "sphere (the norm's outputs + LM head)", models),
      });
    if (b.bottleneckBoundNats !== null)
      rows.push({ hBin, klNats: b.bottleneckBoundNats, series: series(b, 'bottleneck bound (LM head alone)', models) });
  }
  // Both layers name the axis: vega-lite joins a layer's unnamed field ('klNats') into the title.
  const axis = { title: 'KL (nats), mean over targets' };
  const head = {
    id: 'bounds-vs-entropy',
    title: 'Where the difficulty comes from: bounds and KL reached (vanilla targets)',
    paperFigure: 'beyond the paper',
    caption:
      "No prompt can go below the certified ball bound, nor, where its last residual stream's variance is far above the final norm's ε (trained models; small random weights can leave a prompt just inside), below the sphere (the final norm's outputs through the LM head); the gap between the sphere and the KL reached is the body, the prompt length and the search, and the gap between the sphere and the bottleneck is the final norm.",
  };
  return figure(head, o, SIZE.lines, {
    data: { values: rows },
    layer: [
      errorBand(axis, 0.2),
      { mark: { type: 'line', point: true }, encoding: { x: H_X, y: meanKl(axis), color: SERIES_COLOR } },
    ],
  });
}

/** bodyGap (KL reached − sphere value) per target kind, one box per method. */
export function bodyGapByKind(records: readonly PlotRecord[], o: FigureOptions = {}): Figure | null {
  const best = bestPerTarget(records).filter((b) => b.bodyGapNats !== null);
  if (best.length === 0) return null;
  const models = manyModels(best);
  const rows = best.map((b) => ({
    kind: b.kind === 'vanilla' && b.pairedWith !== null ? 'vanilla (paired)' : b.kind,
    bodyGapNats: b.bodyGapNats,
    series: series(b, b.method, models),
  }));
  const head = {
    id: 'body-gap-by-kind',
    title: 'What the body fails to reach, by target kind',
    paperFigure: 'beyond the paper',
    caption:
      "The KL reached above each target's sphere value: the part of the difficulty the output layer does not explain, compared across target kinds.",
  };
  return figure(head, o, SIZE.boxes, {
    data: { values: rows },
    ...boxes(
      { field: 'kind', title: 'target kind' },
      { field: 'bodyGapNats', title: 'body gap: KL reached − sphere value (nats)' },
    ),
  });
}
