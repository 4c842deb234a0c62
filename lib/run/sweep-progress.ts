// A sweep's progress event: its method's tune() progress with the whole sweep's rows and clock.
// Its own file so that what reads the events (the device workers' forwarding) need not import the sweep.
import type { TuneProgress } from '../tune/index.js';

export interface SweepProgress extends TuneProgress {
  phase: 'targets' | 'tuning';
  /** the method label being tuned (soft, hard:k=4, hybrid:HHSSS:k=1) */
  method: string;
  /** rows of the sweep (its shard) done, the resumed ones included */
  sweepRowsDone: number;
  sweepRowsTotal: number;
  /** rows done before this run (a resume's), which `sweepElapsedMs` did not spend */
  sweepRowsResumed: number;
  /** ms since this run's first method began tuning (`elapsedMs` restarts with each method) */
  sweepElapsedMs: number;
  /** the epochs a row may run at most (the spec's): with the pace in row-steps, what bounds the time left */
  maxEpochs: number;
}

/** Where a study's sweep stands in the study: its progress events carry it. */
export interface StudyPlace {
  /** 1-based, of `sweeps` */
  sweep: number;
  sweeps: number;
  experiment: string;
  model: string;
}

/** A study's progress event: its current sweep's, with the sweep's place in the study. */
export type StudySweepProgress = SweepProgress & Partial<StudyPlace>;

/** A study's event's place in the study, where it has one (a plain sweep's has none). */
export function studyPlace(p: Partial<StudyPlace>): Partial<StudyPlace> {
  const { sweep, sweeps, experiment, model } = p;
  return sweep === undefined || sweeps === undefined || experiment === undefined || model === undefined
    ? {}
    : { sweep, sweeps, experiment, model };
}
