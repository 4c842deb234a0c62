// Head bounds solved once for a run's sweeps: a group of the bound's solve whose targets a store
// keeps is taken from it by a later sweep with the same groups, the very bits the sweep would have
// solved itself; a group with a target read from the model is solved by each sweep; the plan
// prices a shared group once.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import { readResults } from '../lib/results/index.js';
import { sweepBounds } from '../lib/run/bound-columns.js';
import { estimateStudy } from '../lib/run/estimate-study.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec, type SweepSpecInput } from '../lib/spec/index.js';
import { planTargets } from '../lib/sweep/index.js';
import { synthesizePlans, TargetStore } from '../lib/targets/index.js';
import type { Model } from '../lib/model/model.js';
import { BOUND_RESULT_COLUMNS } from './helpers/bound-columns.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('shared-bounds');

it('a later sweep with the same groups takes their bounds from the store: the bits it would have solved', async () => {
  const spec = (name: string, extra: Partial<SweepSpecInput> = {}) =>
    parseSpec({
      model: 'random:micro',
      targets: [
        { kind: 'vanilla', entropyBits: [1, 4, 8] },
        { kind: 'outlier', entropyBits: [5], outliers: 1 },
      ],
      methods: [{ method: 'soft' }],
      inits: 1,
      maxEpochs: 3,
      output: join(dir, `${name}.arrow`),
      ...extra,
    });
  const logs: string[] = [];
  const events = new EventEmitter().on('log', (l: string) => logs.push(l));
  const targetStore = new TargetStore();
  await runSweep(spec('first'), { figures: false, targetStore }, events);
  // Another method and prefix length: the same targets, so the same groups of the bound.
  await runSweep(
    spec('second', { prefixLength: 2, methods: [{ method: 'hard' }] }),
    { figures: false, targetStore },
    events,
  );
  await runSweep(spec('alone', { prefixLength: 2, methods: [{ method: 'hard' }] }), { figures: false }, events);
  expect(logs.filter((l) => l.startsWith('head bound') || l.startsWith('computing'))).toEqual([
    'computing the head bound of 4 targets',
    expect.stringMatching(/^head bound of 4 targets in [\d.]+ s$/),
    'head bound of 4 targets: solved by an earlier sweep of this run',
    'computing the head bound of 4 targets',
    expect.stringMatching(/^head bound of 4 targets in [\d.]+ s$/),
  ]);
  const [second, alone] = await Promise.all([
    readResults(join(dir, 'second.arrow')),
    readResults(join(dir, 'alone.arrow')),
  ]);
  const bound = (r: (typeof second.records)[number]) => [r.rowId, ...BOUND_RESULT_COLUMNS.map((f) => r[f])];
  expect(second.records.map(bound)).toEqual(alone.records.map(bound));
  expect(second.records.every((r) => r.headBoundNats !== null)).toBe(true);
}, 120_000);

it('only whole groups are shared, and a group with a target read from the model is solved again', async () => {
  const model = await loadModel('random:micro');
  try {
    // On a CPU the bound solves 64 targets a group: the first 64 alike, the next ones differing.
    const grid = Array.from({ length: 64 }, (_, i) => 0.2 + i * 0.1);
    const plansOf = (tail: number[], lm = false) =>
      planTargets(
        parseSpec({
          targets: [
            { kind: 'vanilla', entropyBits: grid },
            { kind: 'vanilla', entropyBits: tail },
            ...(lm ? [{ kind: 'lm' as const, count: 1 }] : []),
          ],
        }),
        model.info.vocabSize,
        {},
      );
    const store = new TargetStore();
    const first = plansOf([7.05, 8.05]);
    const second = plansOf([7.15, 8.15, 9.15]);
    const withLm = plansOf([7.05, 8.05], true);
    expect(second.slice(0, 64)).toEqual(first.slice(0, 64));
    const run = async (plans: typeof first, store?: TargetStore) => {
      const logs: string[] = [];
      const b = await bounds(model, plans, logs, store);
      return { b, logs };
    };
    await run(first, store);
    const shared = await run(second, store);
    expect(shared.logs[0]).toBe(
      'computing the head bound of 67 targets (64 of them solved by an earlier sweep of this run)',
    );
    expect(shared.b).toEqual((await run(second)).b);
    // The lm target lies in the second group with the first sweep's tail: that group is solved again.
    const lm = await run(withLm, store);
    expect(withLm.slice(64).some((p) => p.kind === 'lm')).toBe(true);
    expect(lm.logs[0]).toBe(
      `computing the head bound of ${withLm.length} targets (64 of them solved by an earlier sweep of this run)`,
    );
    expect(lm.b).toEqual((await run(withLm)).b);
  } finally {
    model.dispose();
  }
}, 120_000);

it("a study's plan prices a group of the bound once: the prefix lengths after the first pay none", async () => {
  const plan = await estimateStudy({
    studies: ['prefix-length'],
    models: ['random:micro'],
    scale: 'smoke',
    calibrationSeconds: 0.3,
    sampleRows: 2,
  });
  const bound = plan.sweeps.map((s) => s.estimate!.setup.boundSeconds);
  expect(bound).toHaveLength(5);
  expect(bound[0]).toBeGreaterThan(0);
  expect(bound.slice(1)).toEqual([0, 0, 0, 0]);
}, 120_000);

/** The sweep's bound of `plans`, all of them (plan indices 0…), with the store when given. */
async function bounds(model: Model, plans: Parameters<typeof synthesizePlans>[1], logs: string[], store?: TargetStore) {
  const made = await synthesizePlans(model, plans);
  const V = model.info.vocabSize;
  const uploaded = await native().uploadTensor({
    data: made.data,
    shape: [plans.length, V],
    device: model.info.device,
  });
  try {
    return await sweepBounds(
      model,
      { targets: uploaded, meta: made.meta },
      plans.map((_, i) => i),
      new EventEmitter().on('log', (l: string) => logs.push(l)),
      undefined,
      store && { store, plans, data: made.data },
    );
  } finally {
    uploaded.dispose();
  }
}
