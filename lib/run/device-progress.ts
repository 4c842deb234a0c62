// The progress of a sweep split over device workers, as one: each worker prints its events as JSON
// lines (`--json`), and the parent shows the sum of their rows at the pace of the whole, so that a
// run of hours on several devices reports rows and an ETA as a run on one does.
import type { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import { saidFromJson, type Said } from '../io/said.js';
import { studyPlace, type StudyPlace, type StudySweepProgress } from './sweep-progress.js';

/** A worker's progress event as `--json` prints it (lib/cli/progress.ts's ProgressView). */
export interface WorkerProgress extends Partial<StudyPlace> {
  rowsDone: number;
  rowsTotal: number;
  rowsResumed: number;
  batchSize: number;
  rowStepsPerSecond: number;
  /** null where JSON wrote NaN (no row finished yet) */
  meanBestKlNats: number | null;
  elapsedMs: number;
  maxEpochs: number;
  label: string;
}

/**
 * The workers' latest progress events as one sweep's: rows summed, the slowest clock, the KL
 * weighted by rows. Its tune-level fields (rowsDone, rowsTotal, elapsedMs) are the sweep's too: a
 * worker prints only those.
 */
export function combineProgress(parts: readonly WorkerProgress[]): StudySweepProgress {
  const sum = (f: (p: WorkerProgress) => number) => parts.reduce((a, p) => a + f(p), 0);
  const elapsedMs = Math.max(...parts.map((p) => p.elapsedMs));
  const measured = parts.filter((p) => typeof p.meanBestKlNats === 'number' && p.rowsDone > p.rowsResumed);
  const weight = (p: WorkerProgress) => p.rowsDone - p.rowsResumed;
  const rows = measured.reduce((a, p) => a + weight(p), 0);
  const rowsDone = sum((p) => p.rowsDone);
  const rowsTotal = sum((p) => p.rowsTotal);
  // A study's workers each print their sweep's place; while they are all in one sweep, so is the whole.
  const places = new Set(parts.map((p) => `${p.sweep}/${p.sweeps}`));
  const place = places.size === 1 ? studyPlace(parts[0]) : {};
  return {
    ...place,
    phase: 'tuning',
    method: [...new Set(parts.map((p) => p.label))].join(' / '),
    rowsDone,
    rowsTotal,
    activeRows: 0,
    batchSize: sum((p) => p.batchSize),
    rowStepsPerSecond: sum((p) => p.rowStepsPerSecond),
    meanBestKlNats: rows ? measured.reduce((a, p) => a + p.meanBestKlNats! * weight(p), 0) / rows : NaN,
    elapsedMs,
    sweepRowsDone: rowsDone,
    sweepRowsTotal: rowsTotal,
    sweepRowsResumed: sum((p) => p.rowsResumed),
    sweepElapsedMs: elapsedMs,
    // The workers of a study may be in different sweeps for a while: the largest budget bounds them all.
    maxEpochs: Math.max(...parts.map((p) => p.maxEpochs)),
  };
}

/** A worker's summary as `--json` prints it at its end (lib/cli/sweep.ts), its fields unchecked. */
export type WorkerSummary = Record<string, unknown>;

/**
 * Reads the JSON lines of `workers` (one stdout each, printed by `--json`): their logs and warnings
 * are passed on to `events` under the worker's name, and their progress as one event, once every worker that is
 * still running has reported (before that the sum would miss a shard's rows). Each worker's summary
 * goes to `onDone`, not to `events`: those are the caller's, who is promised `log`, `warning` and
 * `progress` alone. A worker's error event (its message's parts) goes to `onError`. `ended(i)` marks worker i done.
 */
export function forwardWorkerEvents(
  workers: ReadonlyArray<{ name: string; stdout: Readable }>,
  events: EventEmitter,
  { onDone, onError }: { onDone?: (summary: WorkerSummary) => void; onError?: (i: number, message: Said) => void } = {},
): { ended: (i: number) => void } {
  const last: Array<WorkerProgress | undefined> = workers.map(() => undefined);
  const done = workers.map(() => false);
  const emit = () => {
    if (last.some((p, i) => p === undefined && !done[i])) return;
    const parts = last.filter((p): p is WorkerProgress => p !== undefined);
    if (parts.length) events.emit('progress', combineProgress(parts));
  };
  workers.forEach(({ name, stdout }, i) => {
    createInterface({ input: stdout }).on('line', (line) => {
      let e: { event?: unknown; message?: unknown } & Partial<WorkerProgress> & WorkerSummary;
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        return; // not an event: nothing a worker prints on purpose
      }
      // A worker's warning stays one here: the parent says it where it says no log line (--quiet).
      if ((e.event === 'log' || e.event === 'warning') && typeof e.message === 'string')
        events.emit(e.event, `${name}: ${e.message}`);
      // A worker's summary: what its rows were (taken from earlier sweeps or reused files, resumed, run).
      else if (e.event === 'done') onDone?.(e);
      else if (e.event === 'error') {
        const message = saidFromJson(e.parts);
        if (message) onError?.(i, message);
      } else if (e.event === 'progress' && typeof e.rowsDone === 'number') {
        last[i] = e as WorkerProgress;
        emit();
      }
    });
  });
  return {
    ended: (i) => {
      done[i] = true;
    },
  };
}
