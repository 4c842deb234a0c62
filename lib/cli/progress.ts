// Progress on a terminal: one redrawn bar (rows done/total, row-steps/s, ETA, running mean KL);
// plain periodic lines when stderr is not a TTY; JSON events with --json; with --quiet only a
// run's warnings (warn) and what a run cut short says (tell).
import { studyPlace, type StudyPlace, type StudySweepProgress } from '../run/sweep-progress.js';

export interface ProgressView extends Partial<StudyPlace> {
  label: string;
  rowsDone: number;
  rowsTotal: number;
  /** rows of `rowsDone` finished before this run, which took none of `elapsedMs` */
  rowsResumed: number;
  /** rows tuned at once: until a batch's worth is done, rows have finished too unevenly to pace */
  batchSize: number;
  rowStepsPerSecond: number;
  meanBestKlNats: number;
  elapsedMs: number;
  /** the epochs a row may run at most: rows left × this, at the pace in row-steps, bounds the time left */
  maxEpochs: number;
}

/** A sweep's progress event as the bar shows it, under `label`: rows and time of the whole sweep,
 *  so the ETA counts the methods still to come (the event's own `elapsedMs` is its method's).
 *  Its keys in the bar's order, which a --json line keeps: a study's place, the label, the counts. */
export function sweepView(p: StudySweepProgress, label: string): ProgressView {
  return {
    ...studyPlace(p),
    label,
    rowsDone: p.sweepRowsDone,
    rowsTotal: p.sweepRowsTotal,
    rowsResumed: p.sweepRowsResumed,
    batchSize: p.batchSize,
    rowStepsPerSecond: p.rowStepsPerSecond,
    meanBestKlNats: p.meanBestKlNats,
    elapsedMs: p.sweepElapsedMs,
    maxEpochs: p.maxEpochs,
  };
}

export type ProgressMode = 'tty' | 'lines' | 'json' | 'quiet';

export function progressMode(o: { quiet?: boolean; json?: boolean }): ProgressMode {
  if (o.quiet) return 'quiet';
  if (o.json) return 'json';
  return process.stderr.isTTY ? 'tty' : 'lines';
}

const duration = (s: number): string =>
  s < 90 ? `${s.toFixed(0)}s` : s < 5400 ? `${(s / 60).toFixed(1)}min` : `${(s / 3600).toFixed(1)}h`;

/**
 * Time left at this run's pace: its elapsed time over the rows it finished (not the resumed ones),
 * once it finished a batch's worth (or all): a resumed run's first row, done after seconds,
 * would otherwise price each of thousands of rows left at those seconds. Before that, a bound
 * (`≤ …`): every row left running its whole budget at the present pace in row-steps. A sweep whose
 * rows all fit one batch, as a study's often do on a GPU, would otherwise show '?' to its end.
 */
export function eta(p: ProgressView): string {
  const run = p.rowsDone - p.rowsResumed;
  if (run > 0 && (run >= p.batchSize || p.rowsDone >= p.rowsTotal))
    return duration(((p.elapsedMs / run) * (p.rowsTotal - p.rowsDone)) / 1000);
  const rowSteps = (p.rowsTotal - p.rowsDone) * p.maxEpochs;
  return p.rowStepsPerSecond > 0 && Number.isFinite(rowSteps) ? `≤ ${duration(rowSteps / p.rowStepsPerSecond)}` : '?';
}

export class ProgressReporter {
  #last = 0;
  constructor(
    readonly mode: ProgressMode,
    readonly intervalMs = 5000,
  ) {}

  update(p: ProgressView): void {
    const place = p.sweep === undefined ? '' : `[${p.sweep}/${p.sweeps}] ${p.experiment} `;
    const line = `${place}${p.label} ${p.rowsDone}/${p.rowsTotal} rows  ${p.rowStepsPerSecond.toFixed(0)} row-steps/s  ETA ${eta(p)}  mean KL ${Number.isFinite(p.meanBestKlNats) ? p.meanBestKlNats.toFixed(4) : '-'} nats`;
    if (this.mode === 'tty') {
      const width = 24;
      const filled = Math.round((width * p.rowsDone) / Math.max(1, p.rowsTotal));
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line}\x1b[K`);
    } else if (this.mode === 'lines') {
      const now = Date.now();
      if (now - this.#last >= this.intervalMs || p.rowsDone === p.rowsTotal) {
        this.#last = now;
        process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      }
    } else if (this.mode === 'json') {
      process.stdout.write(`${JSON.stringify({ event: 'progress', ...p })}\n`);
    }
  }

  log(message: string): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'json') process.stdout.write(`${JSON.stringify({ event: 'log', message })}\n`);
    else process.stderr.write(`${this.mode === 'tty' ? '\r\x1b[K' : ''}distprompt: ${message}\n`);
  }

  /**
   * A run's warning (a result that differs, a batch halved, a row below its bound, a file kept
   * without the rows run again): on stderr in every mode, --quiet included, since a cluster job's
   * quiet run must not lose it; with --json also an event on stdout. A device worker (started with
   * DISTPROMPT_ERRORS_AS_EVENTS=1, its stderr its parent's) leaves stderr to the parent, which says
   * the event it reads back, so it is read once.
   */
  warn(message: string): void {
    if (this.mode === 'json') {
      process.stdout.write(`${JSON.stringify({ event: 'warning', message })}\n`);
      if (process.env.DISTPROMPT_ERRORS_AS_EVENTS === '1') return;
    }
    process.stderr.write(`${this.mode === 'tty' ? '\r\x1b[K' : ''}distprompt: warning: ${message}\n`);
  }

  /**
   * `log`, said with --quiet too (on stderr): that the run stopped and how to go on is no
   * progress; a quiet run cut short by Ctrl-C said nothing of the rows it kept.
   */
  tell(message: string): void {
    if (this.mode === 'quiet') process.stderr.write(`distprompt: ${message}\n`);
    else this.log(message);
  }

  done(): void {
    if (this.mode === 'tty') process.stderr.write('\n');
  }
}
