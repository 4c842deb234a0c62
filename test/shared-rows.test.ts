// Rows finished once for a run's sweeps: a row a later sweep would run alike (the same model,
// target, method, init and settings) is written into its results as the earlier sweep finished
// it, not run again; a row of other settings, or of a deterministic sweep, runs; the plan prices
// shared rows once.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { estimateStudy } from '../lib/run/estimate-study.js';
import { runStudy } from '../lib/run/study.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec, type SweepSpecInput } from '../lib/spec/index.js';
import { TargetStore } from '../lib/targets/index.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('shared-rows');

it("a study's shuffled sweep writes the lm sweep's rows it holds as finished there; its plan prices them once", async () => {
  // Smoke scale: lm holds 6 lm targets and their paired vanilla ones, shuffled the first 3 of each
  // (the same ids, seeds and settings) beside its shuffled targets.
  const o = { studies: ['lm', 'shuffled'], models: ['random:micro'], scale: 'smoke' as const };
  const plan = await estimateStudy({ ...o, calibrationSeconds: 0.3, sampleRows: 2 });
  const [lmPlan, shuffledPlan] = plan.sweeps.map((s) => s.estimate!);
  expect(lmPlan.sharedRows).toBe(0);
  expect(shuffledPlan.sharedRows).toBe(6);
  const logs: string[] = [];
  const events = new EventEmitter().on('log', (l: string) => logs.push(l));
  const out = join(dir, 'study');
  await runStudy({ ...o, outDir: out }, events);
  expect(logs).toContain(
    'shuffled: 6 rows finished by an earlier sweep of this run (the same model, target, method, init and settings): written, not run again',
  );
  const [lm, shuffled] = await Promise.all(
    ['lm', 'shuffled'].map((e) => readResults(join(out, `${e}.random_micro.arrow`))),
  );
  const lmRows = new Map(lm.records.map((r) => [r.rowId, r]));
  const taken = shuffled.records.filter((r) => lmRows.has(r.rowId));
  expect(taken).toHaveLength(6);
  for (const r of taken) expect(r).toEqual(lmRows.get(r.rowId));
  expect(shuffled.records).toHaveLength(shuffledPlan.rows + 6);

  // A study resumed after lm finished: shuffled takes lm's rows from its finished file; the plan says so.
  const later = join(dir, 'later');
  await runStudy({ ...o, studies: ['lm'], outDir: later });
  const resumedPlan = await estimateStudy({
    ...o,
    resume: true,
    outDir: later,
    calibrationSeconds: 0.3,
    sampleRows: 2,
  });
  expect(resumedPlan.sweeps.map((s) => [s.estimate!.rows, s.estimate!.sharedRows])).toEqual([
    [0, 0],
    [shuffledPlan.rows, 6],
  ]);
  const resumedLogs: string[] = [];
  await runStudy(
    { ...o, resume: true, outDir: later },
    new EventEmitter().on('log', (l: string) => resumedLogs.push(l)),
  );
  expect(resumedLogs.some((l) => l.startsWith('shuffled: 6 rows finished by an earlier sweep of this run'))).toBe(true);
}, 180_000);

it('a row of other settings, or of a deterministic sweep, runs again', async () => {
  const spec = (name: string, extra: Partial<SweepSpecInput> = {}) =>
    parseSpec({
      model: 'random:micro',
      targets: [{ kind: 'vanilla', entropyBits: [1, 4] }],
      methods: [{ method: 'soft' }],
      inits: 1,
      maxEpochs: 4,
      bound: false,
      output: join(dir, `${name}.arrow`),
      ...extra,
    });
  const store = new TargetStore();
  const first = await runSweep(spec('a'), { figures: false, targetStore: store });
  expect(first.rowsShared).toBe(0);
  // Other budget: run. More inits: the first init's rows are the same, the second's run.
  expect((await runSweep(spec('b', { maxEpochs: 5 }), { figures: false, targetStore: store })).rowsShared).toBe(0);
  const more = await runSweep(spec('c', { inits: 2 }), { figures: false, targetStore: store });
  expect(more).toMatchObject({ rows: 4, rowsRun: 2, rowsShared: 2, rowsResumed: 0 });
  const det = (name: string) => spec(name, { deterministic: true, batchSize: 2 });
  await runSweep(det('d'), { figures: false, targetStore: store });
  expect((await runSweep(det('e'), { figures: false, targetStore: store })).rowsShared).toBe(0);
}, 120_000);
