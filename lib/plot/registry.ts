// The figure registry: every builder, in the order the reports show them. plotAll, the reports
// and the study draw through it, so a new figure is one builder and one line here.
import type { PlotRecord } from '../analysis/best.js';
import { bodyGapByKind, boundsVsEntropy } from './bound-figures.js';
import { withSeriesPalette, type Figure } from './figure.js';
import type { FigureOptions } from './figure-options.js';
import {
  achievedVsTargetEntropy,
  klVsEntropy,
  lmShuffledVanilla,
  migratedSources,
  outlierVsVanilla,
  pairedLmVsVanilla,
  posBoxes,
} from './figures.js';

/** Every figure, in the order the reports show them. */
export const FIGURES = [
  klVsEntropy,
  achievedVsTargetEntropy,
  outlierVsVanilla,
  pairedLmVsVanilla,
  lmShuffledVanilla,
  migratedSources,
  posBoxes,
  boundsVsEntropy,
  bodyGapByKind,
] as const;

export function allFigures(records: readonly PlotRecord[], o: FigureOptions = {}): Figure[] {
  return FIGURES.map((make) => make(records, o))
    .filter((f): f is Figure => f !== null)
    .map(withSeriesPalette);
}
