// Entropy grids in bits. A grid is written either as a list of values or as 'start:stop:step',
// where stop may be 'max' (= log2 |V|): the vocabulary size is unknown until the model is loaded,
// so parsing only checks the shape and `expandGrid` resolves it once V is known.

import { SpecError } from './errors.js';
import { checkGridSize } from './limits.js';

export type GridInput = number | number[] | string;

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const RANGE = new RegExp(`^\\s*(${NUMBER})\\s*:\\s*(${NUMBER}|max)\\s*:\\s*(${NUMBER})\\s*$`);

export interface GridRange {
  start: number;
  stop: number | 'max';
  step: number;
}

/** Parses 'start:stop:step'; returns a message (not a throw) so the zod schema can report it by path. */
export function parseRange(text: string): GridRange | string {
  const m = RANGE.exec(text);
  if (!m) return `expected 'start:stop:step' in bits (stop may be 'max'), e.g. '0:max:0.05'; got '${text}'`;
  const start = Number(m[1]);
  const stop = m[2] === 'max' ? 'max' : Number(m[2]);
  const step = Number(m[3]);
  if (!(step > 0)) return `step must be > 0 in '${text}'`;
  if (start < 0) return `start must be >= 0 bits in '${text}'`;
  if (stop !== 'max' && stop < start) return `stop must be >= start in '${text}'`;
  return { start, stop, step };
}

/** log2 of the vocabulary size: the largest entropy a distribution over V tokens can have. */
export function maxEntropyBits(vocabSize: number): number {
  return Math.log2(vocabSize);
}

// Values built as start + i·step pick up float noise (0.15000000000000002); rounding to 1e-9
// keeps them (and the target ids made from them) clean without moving any real grid point.
const clean = (x: number): number => Math.round(x * 1e9) / 1e9;
const TOLERANCE = 1e-9;

/**
 * Expands a grid to its values in bits, checked to lie within [0, log2 V].
 * With stop = 'max' the end point log2 V itself is included even when the step does not land on
 * it, because the uniform target is one end of the study's sweep.
 * `where` names the field in error messages.
 */
export function expandGrid(grid: GridInput, vocabSize: number, where = 'entropyBits'): number[] {
  if (!Number.isInteger(vocabSize) || vocabSize < 2) {
    throw new SpecError([{ path: where, message: `vocabulary size must be an integer >= 2, got ${vocabSize}` }]);
  }
  const max = maxEntropyBits(vocabSize);
  let values: number[];
  if (typeof grid === 'number') values = [grid];
  else if (Array.isArray(grid)) values = [...grid];
  else {
    const range = parseRange(grid);
    if (typeof range === 'string') throw new SpecError([{ path: where, message: range }]);
    const stop = range.stop === 'max' ? max : range.stop;
    const count = Math.floor((stop - range.start) / range.step + TOLERANCE) + 1;
    checkGridSize(count, where, grid);
    values = [];
    for (let i = 0; i < count; i++) values.push(clean(range.start + i * range.step));
    if (range.stop === 'max' && max - values[values.length - 1] > TOLERANCE) values.push(max);
  }
  const bad = values.filter((h) => !Number.isFinite(h) || h < -TOLERANCE || h > max + TOLERANCE);
  if (bad.length > 0) {
    throw new SpecError([
      {
        path: where,
        message: `entropy ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''} bits outside [0, ${max.toFixed(4)}] (log2 of vocabulary size ${vocabSize})`,
      },
    ]);
  }
  // Clamp values within tolerance of the ends so synthesis sees exactly 0 or log2 V there.
  return values.map((h) => (h < 0 ? 0 : h > max ? max : h));
}
