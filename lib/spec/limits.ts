// The most rows one sweep (or shard) may plan, checked before the plan is built: a typo such as
// an entropy step of 1e-7 or 10^9 inits is refused at once, naming the field, rather than
// growing for minutes into gigabytes of plan. The study's largest sweeps plan a few thousand.
import { SpecError } from './errors.js';

export const MAX_SWEEP_ROWS = 1_000_000;

const fmt = (n: number) => n.toLocaleString('en-US');

/** A grid of `count` entropies at `where`: refused past the limit. */
export function checkGridSize(count: number, where: string, text: string): void {
  if (count > MAX_SWEEP_ROWS)
    throw new SpecError([
      {
        path: where,
        message: `'${text}' makes ${fmt(count)} entropies, more than the ${fmt(MAX_SWEEP_ROWS)} rows a sweep may plan: use a larger step`,
      },
    ]);
}

/** targets × methods × inits rows: refused past the limit before one row is made. */
export function checkRowCount(targets: number, methods: number, inits: number): void {
  const rows = targets * methods * inits;
  if (rows > MAX_SWEEP_ROWS)
    throw new SpecError([
      {
        path: 'inits',
        message: `${fmt(targets)} targets × ${methods} methods × ${fmt(inits)} inits make ${fmt(rows)} rows, more than the ${fmt(MAX_SWEEP_ROWS)} a sweep may plan: lower inits, the targets (entropy step, count) or the methods, or split the sweep`,
      },
    ]);
}
