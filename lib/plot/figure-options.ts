// A figure call's options (plotAll's, report's), apart from the figures: the library's public
// types import this file, and none of vega-lite's types, which do not compile in a strict
// consumer's project (exactOptionalPropertyTypes without skipLibCheck).
import { refuseUnknownKeys } from '../spec/fields.js';
import { ArgumentError } from '../io/argument-error.js';

export interface FigureOptions {
  /** Width of the entropy bins over which mean ± standard error is taken (bits; DEFAULT_BIN_BITS). */
  binBits?: number;
  width?: number;
  height?: number;
}

/** The entropy bins' width when none is given (bits). */
export const DEFAULT_BIN_BITS = 0.25;

/** FigureOptions' fields, as the compiler checks them against the interface. */
export const FIGURE_OPTIONS: Record<keyof FigureOptions, true> = { binBits: true, width: true, height: true };

/** A figure call's options, checked once: no unknown key; binBits, width and height positive numbers. */
export function checkFigureOptions(
  owner: string,
  o: FigureOptions,
  known: Record<string, true> = FIGURE_OPTIONS,
): void {
  refuseUnknownKeys(owner, o, known, (m) => new ArgumentError(m));
  for (const key of ['binBits', 'width', 'height'] as const) {
    const v = o[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0))
      throw new ArgumentError(`${owner}: ${key} must be a finite number above 0, got ${String(v)}`);
  }
}
