// The rows a tune() runs: the caller's (a sweep's plan, a shard, a resume) or every target × init,
// each with the sweep planner's id and seed (lib/ids/rows.ts), so a row run by tune() alone and
// the same row in a sweep carry the same name and start from the same prompt.
import { setImmediate as nextTurn } from 'node:timers/promises';

import { shown } from '../spec/fields.js';
import { rowId, rowSeed } from '../ids/rows.js';
import type { PlannedRow } from './harvest.js';
import { tuneOptionsError, type TuneSettings } from '../spec/tune-options.js';

export interface TuneRow {
  targetIndex: number;
  initId: number;
  rowId?: string;
  /** the row's init seed (default: from (seed, target id, init id), as the sweep planner does) */
  seed?: number;
  /**
   * deterministic mode: rows with the same group run as one batch (default: the rows in order,
   * in runs of batchSize); a group may hold at most batchSize rows
   */
  group?: number | string;
}

/** Rows planned between two turns of the event loop: a sweep hands tune() 500,000 (0.2 s in one go). */
const ROWS_PER_TURN = 1000;

export async function planTuneRows(
  given: readonly TuneRow[] | undefined,
  targets: { count: number; ids: readonly string[] },
  s: Pick<TuneSettings, 'inits' | 'seed' | 'method' | 'candidates' | 'deterministic' | 'batchSize'> & {
    pattern: string;
  },
): Promise<PlannedRow[]> {
  if (given !== undefined && !Array.isArray(given))
    throw tuneOptionsError([
      { path: 'rows', message: 'must be an array of { targetIndex, initId } (or left out for every target × init)' },
    ]);
  const rows =
    given ??
    Array.from({ length: targets.count * s.inits }, (_, i): TuneRow => ({
      targetIndex: Math.floor(i / s.inits),
      initId: i % s.inits,
    }));
  const groupSize = typeof s.batchSize === 'number' ? s.batchSize : 1;
  const planned: PlannedRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % ROWS_PER_TURN === 0) await nextTurn();
    const r = rows[i];
    if (!Number.isInteger(r.targetIndex) || r.targetIndex < 0 || r.targetIndex >= targets.count) {
      throw tuneOptionsError([
        { path: `rows[${i}].targetIndex`, message: `${shown(r.targetIndex)} is outside the ${targets.count} targets` },
      ]);
    }
    if (!Number.isInteger(r.initId) || r.initId < 0)
      throw tuneOptionsError([
        {
          path: `rows[${i}].initId`,
          message: `must be an integer >= 0 (it sets the row's seed), got ${shown(r.initId)}`,
        },
      ]);
    const targetId = targets.ids[r.targetIndex];
    planned.push({
      targetIndex: r.targetIndex,
      initId: r.initId,
      rowId: r.rowId ?? rowId(targetId, r.initId, s),
      seed: r.seed ?? rowSeed(s.seed, targetId, r.initId),
      ...(s.deterministic ? { group: r.group ?? Math.floor(i / groupSize) } : {}),
    });
  }
  return planned;
}
