// What a study run did: each sweep's outcome, the findings, the figures and the report. The
// report (lib/study/report.ts) reads it; lib/run/study.ts fills it.
import type { Scale } from './catalog.js';
import type { StudyFigure } from './study-figure.js';
import type { Finding } from './findings.js';

export interface SweepOutcome {
  experiment: string;
  study: string;
  model: string;
  givenModel: string;
  output: string;
  status: 'run' | 'finished earlier' | 'merged' | 'skipped' | 'interrupted' | 'shard done';
  /** why a sweep was skipped */
  reason?: string;
  rows: number;
  /** rows per stop reason (patience, budget, …) */
  stopReasons: Record<string, number>;
  /** this run's wall time for the sweep (0 when it was read, merged or skipped) */
  wallMs: number;
}

export interface StudySummary {
  outDir: string;
  scale: Scale;
  sweeps: SweepOutcome[];
  findings: Finding[];
  figures: StudyFigure[];
  /** the report's path; absent for a shard run or an interrupted one */
  report?: string;
  interrupted: boolean;
  /**
   * What an interrupted run left: `everything` (stopped while waiting for another study of its
   * folder: nothing was run), `sweeps` (rows still to run, for its --resume), or only the
   * `report` (every sweep was finished; the findings, figures and report were not written)
   */
  left?: 'everything' | 'sweeps' | 'report';
  wallMs: number;
}
