// What every figure builder shares: the Figure it returns (its options are figure-options.ts) and
// the Vega-Lite skeleton around each one's own layers (schema, title, size), the legend and axes,
// series names, the mean ± standard error band most figures are, and the box plots the others are.
// Builders (figures.ts, bound-figures.ts) are leaves over this file; the registry (registry.ts) lists them.
import type { TopLevelSpec } from 'vega-lite';

import { binOf, type TargetBest } from '../analysis/best.js';
import { DEFAULT_BIN_BITS, type FigureOptions } from './figure-options.js';

export interface Figure {
  /** File stem, e.g. 'kl-vs-entropy'. */
  id: string;
  title: string;
  /** The study's figure it reproduces, for captions. */
  paperFigure: string;
  /** one sentence saying what the figure shows, where the paper has no figure to cite */
  caption?: string;
  spec: TopLevelSpec;
}

/** What a builder says of its figure besides the spec's body; subtitle: lines under the title. */
export type FigureHead = Omit<Figure, 'spec'> & { subtitle?: string[] };

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** A figure's size where the options give none (px), by what it draws. */
export const SIZE = {
  lines: { width: 480, height: 300 },
  scatter: { width: 360, height: 360 },
  boxes: { width: 420, height: 300 },
};

/** A figure: its head, and its own data, layers and encodings (`body`) under the shared skeleton. */
export function figure(
  head: FigureHead,
  o: FigureOptions,
  size: { width: number; height: number },
  body: object,
): Figure {
  const { subtitle, ...figureHead } = head;
  return {
    ...figureHead,
    spec: {
      $schema: SCHEMA,
      title: subtitle ? { text: head.title, subtitle } : head.title,
      width: o.width ?? size.width,
      height: o.height ?? size.height,
      ...body,
    } as TopLevelSpec,
  };
}

// Series names such as 'outlier k=1 · hybrid:HHSSS:k=4' are long; vega would cut them at 160px.
// Swatches drawn opaque: a legend takes its first layer's opacity, the pale 0.25 of a band.
const LEGEND = { labelLimit: 0, symbolOpacity: 1 };
export const KL_AXIS = { title: 'min KL over inits (nats)' };
export const H_AXIS = { title: 'target entropy (bits)' };

/**
 * A figure of more than ten series drawn with twenty colours: vega's default ten repeat from the
 * eleventh series on (a study of three models × five methods is fifteen), so two series would
 * share a colour in the legend and the plot.
 */
export function withSeriesPalette(f: Figure): Figure {
  type Part = { data?: { values?: Array<{ series?: unknown }> }; layer?: Part[] };
  const parts = [f.spec as Part, ...((f.spec as Part).layer ?? [])];
  const series = new Set(parts.flatMap((p) => p.data?.values ?? []).map((v) => v.series));
  series.delete(undefined);
  if (series.size <= 10) return f;
  return { ...f, spec: { ...f.spec, config: { ...f.spec.config, range: { category: { scheme: 'tableau20' } } } } };
}

/** Series names: the model where several are plotted, then what the figure compares. */
export function series(b: TargetBest, label: string, models: boolean): string {
  return models && b.model ? `${b.model} · ${label}` : label;
}

export const manyModels = (best: readonly TargetBest[]) => new Set(best.map((b) => b.model ?? '')).size > 1;
const manyMethods = (best: readonly TargetBest[]) => new Set(best.map((b) => b.method)).size > 1;

/**
 * The rows an error band of ± one standard error is drawn over: those of the bins (per series)
 * holding two targets or more. The standard error of one value is undefined: vega-lite draws no
 * band there but writes 'NaN' into the band's screen-reader text.
 */
const BANDED_BINS = [
  { joinaggregate: [{ op: 'count' as const, as: 'binTargets' }], groupby: ['hBin', 'series'] },
  { filter: 'datum.binTargets > 1' },
];

/** The x of every figure over entropy bins, and the colour of every figure's series. */
export const H_X = { field: 'hBin', type: 'quantitative' as const, axis: H_AXIS };
export const SERIES_COLOR = { field: 'series', type: 'nominal' as const, title: null, legend: LEGEND };

/** A layer of ± one standard error of klNats across the targets of each entropy bin and series. */
export function errorBand(axis: { title: string }, opacity: number) {
  return {
    transform: BANDED_BINS,
    mark: { type: 'errorband' as const, extent: 'stderr' as const, opacity },
    encoding: { x: H_X, y: { field: 'klNats', type: 'quantitative' as const, axis }, color: SERIES_COLOR },
  };
}

/** y: the mean of klNats across the targets of each entropy bin and series. */
export const meanKl = (axis: { title: string }) => ({
  aggregate: 'mean' as const,
  field: 'klNats',
  type: 'quantitative' as const,
  axis,
});

/**
 * Mean KL per entropy bin as a line with points, and a band of ± one standard error across the
 * targets in the bin (vega-lite's errorband with extent 'stderr' computes it from the rows). A
 * target is binned by its `entropy`; its series is what the figure compares (`compared`; the method
 * alone where it has none), then the method where several are plotted, and the model where several are.
 */
export function klBands(
  head: FigureHead,
  best: readonly TargetBest[],
  o: FigureOptions,
  entropy: 'entropyBits' | 'targetEntropyBits',
  compared?: (b: TargetBest) => string,
): Figure {
  const models = manyModels(best);
  const methods = manyMethods(best);
  const rows = best.map((b) => {
    const label = compared ? (methods ? `${compared(b)} · ${b.method}` : compared(b)) : b.method;
    return {
      hBin: binOf(b[entropy], o.binBits ?? DEFAULT_BIN_BITS),
      klNats: b.klNats,
      series: series(b, label, models),
    };
  });
  const encoding = { x: H_X, y: meanKl(KL_AXIS), color: SERIES_COLOR };
  return figure(head, o, SIZE.lines, {
    data: { values: rows },
    layer: [
      { name: 'bands', ...errorBand(KL_AXIS, 0.25) },
      { name: 'lines', mark: { type: 'line' }, encoding },
      { name: 'points', mark: { type: 'point', filled: true }, encoding },
    ],
  });
}

/** Box plots of `y` per category of `x`, a box per series side by side. */
export function boxes(x: { field: string; title: string }, y: { field: string; title: string }) {
  return {
    mark: { type: 'boxplot' as const, extent: 1.5 },
    encoding: {
      x: { field: x.field, type: 'nominal' as const, axis: { title: x.title, labelAngle: 0 } },
      xOffset: { field: 'series' },
      // The field's title, not the axis': a boxplot's parts would each add theirs to the axis'.
      y: { field: y.field, type: 'quantitative' as const, title: y.title },
      color: SERIES_COLOR,
    },
  };
}
