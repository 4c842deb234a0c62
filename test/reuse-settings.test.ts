// A finished row is shared under the settings its method reads, not every sweep setting
// (SETTINGS_IGNORED, lib/run/method-options.ts): a hard (HotFlip) row steps no soft position, so
// a file run with another lr or weight decay gives its hard rows, which are what a fresh run with
// this sweep's settings gives; its soft and hybrid rows, which that lr moves, run again. The same
// between the sweeps of one study, whose variants may differ in lr alone.
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readResults, type StoredRunRecord } from '../lib/results/index.js';
import { estimateSweep } from '../lib/run/estimate.js';
import { runStudy } from '../lib/run/study.js';
import { runSweep } from '../lib/run/sweep.js';
import type { SweepSpecInput } from '../lib/spec/index.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('reuse-settings');

const spec = (name: string, o: Partial<SweepSpecInput> = {}): SweepSpecInput => ({
  model: 'random:micro',
  targets: [{ kind: 'vanilla', entropyBits: [1, 4] }],
  methods: [{ method: 'soft' }, { method: 'hard', candidates: 2 }, { method: 'hybrid', pattern: 'HHSSS' }],
  inits: 2,
  maxEpochs: 15,
  bound: false,
  output: join(dir, `${name}.arrow`),
  ...o,
});

/** What a row's search found: equal for rows that ran alike. */
const found = (r: StoredRunRecord) => ({
  klNats: r.klNats,
  promptIds: Array.from(r.promptIds ?? []),
  epochs: r.epochs,
  bestEpoch: r.bestEpoch,
  stopReason: r.stopReason,
});
/** A file's rows of one method (2 targets × 2 inits), by row id. */
const byMethod = (records: readonly StoredRunRecord[], method: string) => {
  const rows = new Map(records.filter((r) => r.method === method).map((r) => [r.rowId, r]));
  expect(rows.size).toBe(4);
  return rows;
};

it('a hard row of a file run with another lr is taken, as a fresh run gives it; soft and hybrid rows run again', async () => {
  const earlier = await runSweep(spec('lr-a'), { figures: false });
  const logs: string[] = [];
  const later = await runSweep(
    spec('lr-b', { lr: 0.03 }),
    { reuse: [earlier.output], figures: false },
    new EventEmitter().on('log', (l: string) => logs.push(l)),
  );
  // 2 targets × 2 inits: the hard rows taken, the soft and hybrid ones run.
  expect([later.rowsShared, later.rowsRun]).toEqual([4, 8]);
  expect(logs.some((l) => l.startsWith('4 rows finished by an earlier sweep of this run or a reused file'))).toBe(true);
  const plan = await estimateSweep(spec('lr-plan', { lr: 0.03 }), {
    reuse: [earlier.output],
    calibrationSeconds: 0.3,
    sampleRows: 2,
  });
  expect([plan.sharedRows, plan.rows]).toEqual([4, 8]);

  const [a, b] = await Promise.all([readResults(earlier.output), readResults(later.output)]);
  const [aHard, bHard] = [byMethod(a.records, 'hard'), byMethod(b.records, 'hard')];
  for (const [id, row] of aHard) expect(bHard.get(id)).toEqual(row);
  // The soft and hybrid rows ran with this lr: what they found differs from the file's.
  for (const method of ['soft', 'hybrid']) {
    const [was, now] = [byMethod(a.records, method), byMethod(b.records, method)];
    for (const [id, row] of now) expect(row.klNats).not.toBe(was.get(id)!.klNats);
  }

  // Every setting a soft position reads, changed (Gaussian soft positions included: a hard row
  // draws its first tokens alike under either init): the hard rows are still taken, and a fresh run
  // with these settings finds what they hold.
  const other = { lr: 0.03, weightDecay: 0.2, softPrompts: true, init: 'gaussian' as const };
  const again = await runSweep(spec('other-b', other), { reuse: [earlier.output], figures: false });
  expect([again.rowsShared, again.rowsRun]).toEqual([4, 8]);
  const fresh = await runSweep(spec('other-fresh', { ...other, methods: [{ method: 'hard', candidates: 2 }] }), {
    figures: false,
  });
  expect(fresh.rowsRun).toBe(4);
  const freshHard = byMethod(fresh.records, 'hard');
  for (const [id, row] of aHard) {
    expect(found(freshHard.get(id)!)).toEqual(found(row));
    expect(row.bestEpoch).toBeGreaterThan(0);
    expect(freshHard.get(id)!.softPrompt).toBeNull();
  }

  // Where no row is taken, the log names only the settings its methods read that differ.
  const why: string[] = [];
  const longer = await runSweep(
    spec('longer', { lr: 0.03, maxEpochs: 16, methods: [{ method: 'hard', candidates: 2 }] }),
    { reuse: [earlier.output], figures: false },
    new EventEmitter().on('log', (l: string) => why.push(l)),
  );
  expect(longer.rowsShared).toBe(0);
  expect(why).toContain(
    `reuse ${earlier.output}: no row taken: its rows ran with other settings (maxEpochs 15 there, 16 here)`,
  );
}, 180_000);

it("cudaGraph, which a sweep's hard and hybrid rows run without, keeps only soft rows out", async () => {
  const earlier = await runSweep(spec('graph-a', { cudaGraph: false }), { figures: false });
  const later = await runSweep(spec('graph-b'), { reuse: [earlier.output], figures: false });
  expect([later.rowsShared, later.rowsRun]).toEqual([8, 4]);
  const runAgain = new Set(later.records.filter((r) => r.method === 'soft').map((r) => r.rowId));
  const [a, b] = await Promise.all([readResults(earlier.output), readResults(later.output)]);
  const bRows = new Map(b.records.map((r) => [r.rowId, r]));
  for (const r of a.records.filter((x) => !runAgain.has(x.rowId))) expect(bRows.get(r.rowId)).toEqual(r);
}, 180_000);

it("a study's sweeps that differ in lr alone share their hard rows, not their soft or hybrid ones", async () => {
  const studies = join(dir, 'studies');
  mkdirSync(studies);
  const smoke = {
    targets: [{ kind: 'vanilla', entropyBits: [1, 4] }],
    methods: [{ method: 'soft' }, { method: 'hybrid', pattern: 'HHSSS' }, { method: 'hard' }],
    inits: 1,
    maxEpochs: 10,
  };
  writeFileSync(
    join(studies, 'rates.json'),
    JSON.stringify({
      describes: 'two learning rates',
      variants: { fast: { lr: 0.1 }, slow: { lr: 0.02 } },
      paper: smoke,
      smoke,
    }),
  );
  const logs: string[] = [];
  const out = join(dir, 'study');
  await runStudy(
    { studies: ['rates'], studiesDir: studies, models: ['random:micro'], scale: 'smoke', bound: false, outDir: out },
    new EventEmitter().on('log', (l: string) => logs.push(l)),
  );
  expect(logs.some((l) => l.startsWith('rates-slow: 2 rows finished by an earlier sweep of this run'))).toBe(true);
  const [fast, slow] = await Promise.all(
    ['fast', 'slow'].map((v) => readResults(join(out, `rates-${v}.random_micro.arrow`))),
  );
  const fastRows = new Map(fast.records.map((r) => [r.rowId, r]));
  const same = slow.records.filter((r) => JSON.stringify(r) === JSON.stringify(fastRows.get(r.rowId)));
  expect(same.map((r) => r.method)).toEqual(['hard', 'hard']);
}, 180_000);
