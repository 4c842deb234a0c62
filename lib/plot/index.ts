// Figures and the HTML report.
export {
  bestPerTarget,
  binOf,
  summaryTable,
  type PlotRecord,
  type SummaryRow,
  type TargetBest,
} from '../analysis/best.js';
export { linearRegression, summarise, type Regression, type Summary } from '../analysis/stats.js';
export { type Figure, type FigureOptions } from './figure.js';
export { allFigures, FIGURES } from './registry.js';
export { bodyGapByKind, boundsVsEntropy } from './bound-figures.js';
export {
  achievedVsTargetEntropy,
  klVsEntropy,
  lmShuffledVanilla,
  migratedSources,
  outlierVsVanilla,
  pairedLmVsVanilla,
  pairedPoints,
  posBoxes,
  type PairedPoint,
} from './figures.js';
export { renderSvg } from './render.js';
export { loadPlotRecords, plotAll, type PlotInput, type WrittenFigure } from './plot-all.js';
export { renderReport, report, type ReportOptions } from './report.js';
