// A sweep's progress line counts the whole sweep: its ETA is the time left for every method still
// to come at this run's pace, not for the method under way (whose own clock restarts with it), and
// a resume's pace counts only the rows it ran; a resume with no row left makes no target. Real
// sweeps of random:micro, one of them interrupted.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { eta, sweepView } from '../lib/cli/progress.js';
import { readResults, ResultWriter } from '../lib/results/index.js';
import { keptRows } from '../lib/run/kept.js';
import { runSweep, type SweepProgress } from '../lib/run/sweep.js';
import { parseSpec, type SweepSpec } from '../lib/spec/index.js';
import { PLAN_SWEEP } from './helpers/micro-sweep.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('progress-eta');
// Batches of 2 rows, so that the run finishes a batch's worth (from which on it has an ETA) early.
const spec = (name: string) => parseSpec({ ...PLAN_SWEEP, bound: false, batchSize: 2, output: join(dir, name) });

/** Runs the sweep, collecting its progress events; `stop` may abort it at an event. */
async function progressOf(name: string, resume = false, stop?: (p: SweepProgress) => boolean) {
  const seen: SweepProgress[] = [];
  const events = new EventEmitter();
  const abort = new AbortController();
  events.on('progress', (p: SweepProgress) => {
    seen.push(p);
    if (stop?.(p)) abort.abort();
  });
  const summary = await runSweep(spec(name), { figures: false, resume, signal: abort.signal }, events);
  return { seen, summary };
}

describe('the progress of a sweep of several methods', () => {
  it('times the whole sweep: the clock runs on across methods, so the ETA covers the methods left', async () => {
    const { seen } = await progressOf('whole.arrow');
    const methods = [...new Set(seen.map((p) => p.method))];
    expect(methods.length).toBe(3);
    for (const [i, p] of seen.entries()) {
      expect(p.sweepRowsResumed).toBe(0);
      expect(p.sweepElapsedMs).toBeGreaterThanOrEqual(p.elapsedMs);
      if (i) expect(p.sweepElapsedMs).toBeGreaterThanOrEqual(seen[i - 1].sweepElapsedMs);
    }
    // The first event of a later method: its method's clock has just started, the sweep's has not,
    // and the ETA is the sweep's pace times the rows left in it.
    const later = seen.find((p) => p.method === methods[2])!;
    expect(later.sweepElapsedMs).toBeGreaterThan(later.elapsedMs);
    const view = sweepView(later, later.method);
    expect(view.elapsedMs).toBe(later.sweepElapsedMs);
    const left = later.sweepRowsTotal - later.sweepRowsDone;
    const seconds = ((later.sweepElapsedMs / later.sweepRowsDone) * left) / 1000;
    expect(eta(view)).toBe(`${seconds.toFixed(0)}s`);
  }, 300_000);

  it('a resume paces the ETA by the rows it ran, not by the rows it found done', async () => {
    const first = await progressOf('resumed.arrow', false, (p) => p.method !== 'soft');
    expect(first.summary.interrupted).toBe(true);
    const kept = (await keptRows(spec('resumed.arrow'))).rowIds.size;
    expect(kept).toBeGreaterThan(0);
    const { seen, summary } = await progressOf('resumed.arrow', true);
    expect(summary.rowsResumed).toBe(kept);
    for (const p of seen) expect(p.sweepRowsResumed).toBe(kept);
    const last = seen.at(-1)!;
    expect(last.sweepRowsDone).toBe(last.sweepRowsTotal);
    // Before a batch's worth of rows of its own the run has no pace of rows: not one from the
    // resumed rows, or from one row that took a batch's time, but the bound of every row left
    // running its whole budget at the pace in row-steps.
    const view = sweepView(last, '');
    expect(view.batchSize).toBe(2);
    expect(view.maxEpochs).toBe(PLAN_SWEEP.maxEpochs);
    const bound = (done: number) =>
      `≤ ${(((view.rowsTotal - done) * view.maxEpochs) / view.rowStepsPerSecond).toFixed(0)}s`;
    expect(eta({ ...view, rowsDone: kept })).toBe(bound(kept));
    expect(eta({ ...view, rowsDone: kept + 1 })).toBe(bound(kept + 1));
    expect(eta({ ...view, rowsDone: kept + 2 })).toMatch(/^\d+s$/);
    expect(eta({ ...view, rowsDone: kept, rowStepsPerSecond: 0 })).toBe('?');
  }, 300_000);

  it('a resume of a journal holding every row (killed while writing its file) finishes it, making no target', async () => {
    const { records, metadata } = await readResults(join(dir, 'whole.arrow'));
    const out = join(dir, 'all-journaled.arrow');
    const writer = await ResultWriter.create(out, {
      ...metadata,
      spec: { ...metadata.spec, output: out } as SweepSpec,
    });
    await writer.append(records);
    await writer.close();
    const logs: string[] = [];
    const events = new EventEmitter();
    events.on('log', (m: string) => logs.push(m));
    const summary = await runSweep(spec('all-journaled.arrow'), { figures: false, resume: true }, events);
    expect(summary).toMatchObject({ rows: 18, rowsRun: 0, rowsResumed: 18, interrupted: false });
    expect(logs).toContain('resuming: 18 of 18 rows already done');
    expect(logs.filter((m) => m.startsWith('synthesising'))).toEqual([]);
  }, 300_000);

  it('a resume with nothing to resume says it starts, not that it resumes none', async () => {
    const logs: string[] = [];
    const events = new EventEmitter();
    events.on('log', (m: string) => logs.push(m));
    const summary = await runSweep(spec('fresh.arrow'), { figures: false, resume: true }, events);
    expect(summary).toMatchObject({ rows: 18, rowsRun: 18, rowsResumed: 0 });
    expect(logs).toContain('no journal to resume: starting 18 rows');
    expect(logs.filter((m) => m.startsWith('resuming'))).toEqual([]);
  }, 300_000);
});
