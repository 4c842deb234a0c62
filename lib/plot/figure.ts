// What every figure builder shares: the Figure it returns (its options are figure-options.ts), the
// Vega-Lite schema, the legend and axes, series names, and the mean ± standard error band most
// figures are. Builders (figures.ts, bound-figures.ts) are leaves over this file; the registry (registry.ts) lists them.
import type { TopLevelSpec } from 'vega-lite';

import type { TargetBest } from '../analysis/best.js';
import type { FigureOptions } from './figure-options.js';

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

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
// Series names such as 'outlier k=1 · hybrid:HHSSS:k=4' are long; vega would cut them at 160px.
// Swatches drawn opaque: a legend takes its first layer's opacity, the pale 0.25 of a band.
export const LEGEND = { labelLimit: 0, symbolOpacity: 1 };
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
export const manyMethods = (best: readonly TargetBest[]) => new Set(best.map((b) => b.method)).size > 1;

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

/**
 * Mean KL per entropy bin as a line with points, and a band of ± one standard error across the
 * targets in the bin (vega-lite's errorband with extent 'stderr' computes it from the rows).
 */
export function klBands(
  id: string,
  title: string,
  paperFigure: string,
  rows: Array<{ hBin: number; klNats: number; series: string }>,
  o: FigureOptions,
): Figure {
  const [x, color] = [H_X, SERIES_COLOR];
  return {
    id,
    title,
    paperFigure,
    spec: {
      $schema: SCHEMA,
      title,
      width: o.width ?? 480,
      height: o.height ?? 300,
      data: { values: rows },
      layer: [
        { name: 'bands', ...errorBand(KL_AXIS, 0.25) },
        {
          name: 'lines',
          mark: { type: 'line' },
          encoding: { x, y: { aggregate: 'mean', field: 'klNats', type: 'quantitative', axis: KL_AXIS }, color },
        },
        {
          name: 'points',
          mark: { type: 'point', filled: true },
          encoding: { x, y: { aggregate: 'mean', field: 'klNats', type: 'quantitative', axis: KL_AXIS }, color },
        },
      ],
    } as TopLevelSpec,
  };
}
