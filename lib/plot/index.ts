// Figures and the HTML report.
export {
  bestPerTarget,
  binOf,
  linearRegression,
  summarise,
  summaryTable,
  type PlotRecord,
  type Regression,
  type Summary,
  type SummaryRow,
  type TargetBest,
} from './data.js';
export {
  achievedVsTargetEntropy,
  allFigures,
  FIGURES,
  klVsEntropy,
  lmShuffledVanilla,
  migratedSources,
  outlierVsVanilla,
  pairedLmVsVanilla,
  pairedPoints,
  posBoxes,
  type Figure,
  type FigureOptions,
  type PairedPoint,
} from './figures.js';
export { renderSvg } from './render.js';
export { loadPlotRecords, plotAll, type PlotInput, type WrittenFigure } from './plot-all.js';
export { renderReport, report, type ReportOptions } from './report.js';
