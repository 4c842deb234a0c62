// Figures and the HTML report: the analysis they draw from, the figure type, the registry, the
// builders, rendering and the report.
export {
  bestPerTarget,
  binOf,
  summaryTable,
  type PlotRecord,
  type SummaryRow,
  type TargetBest,
} from '../analysis/best.js';
export { linearRegression, summarise, type Regression, type Summary } from '../analysis/stats.js';
export { figure, type Figure } from './figure.js';
export { type FigureOptions } from './figure-options.js';
export { allFigures, FIGURES } from './registry.js';
// The builders, each a leaf over figure.ts.
export * from './bound-figures.js';
export * from './figures.js';
export { renderSvg } from './render.js';
export { loadPlotRecords, plotAll, type PlotInput, type WrittenFigure } from './plot-all.js';
export { renderReport, report, type ReportOptions } from './report.js';
