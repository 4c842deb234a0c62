// Targets made once for a run's sweeps: a target that depends on its plan alone (vanilla grid
// points, outlier targets) is taken from the store by a later sweep, the same bits as if made
// again; targets read from the model (lm, and vanilla paired with one) are made by each sweep.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { readResults } from '../lib/results/index.js';
import { estimateStudy } from '../lib/run/estimate-study.js';
import { runStudy } from '../lib/run/study.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { planTargets } from '../lib/sweep/index.js';
import { synthesizePlans, TargetStore } from '../lib/targets/index.js';
import { storedCount } from '../lib/targets/store.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('target-store');

it('keeps the targets that depend on their plan alone, and gives them back bit for bit in any order', async () => {
  const model = await loadModel('random:micro');
  try {
    const spec = parseSpec({
      targets: [
        { kind: 'vanilla', entropyBits: [0.5, 3, 6] },
        { kind: 'outlier', entropyBits: [4], outliers: 2 },
        { kind: 'lm', count: 2, pairedVanilla: true },
      ],
    });
    const plans = planTargets(spec, model.info.vocabSize, {});
    const kinds = plans.map((p) => p.kind);
    expect(kinds.filter((k) => k === 'vanilla')).toHaveLength(5); // three grid points, two paired
    const fresh = await synthesizePlans(model, plans);
    const store = new TargetStore();
    await synthesizePlans(model, plans.slice(0, 4), store); // the grid points and the outlier target
    expect(store.size.targets).toBe(4);
    expect(storedCount(store, plans, model.info.vocabSize, model.info.device)).toBe(4);
    // Reversed: held rows and made ones are placed by plan, not by the order they come.
    const reversed = [...plans].reverse();
    const again = await synthesizePlans(model, reversed, store);
    const V = model.info.vocabSize;
    // Kept targets are the same bits. Those read from the model (lm, and the vanilla ones paired
    // with them) are made again by a forward over another batch, whose sums some CPUs round
    // differently (AMD EPYC: 2e-9 bits of entropy): equal to float tolerance.
    reversed.forEach((p, i) => {
      const j = plans.indexOf(p);
      const [row, before] = [again.data.subarray(i * V, (i + 1) * V), fresh.data.subarray(j * V, (j + 1) * V)];
      if (storedCount(store, [p], V, model.info.device)) {
        expect(again.meta[i]).toEqual(fresh.meta[j]);
        expect(row).toEqual(before);
      } else {
        expect(again.meta[i].id).toBe(fresh.meta[j].id);
        expect(again.meta[i].entropyBits).toBeCloseTo(fresh.meta[j].entropyBits, 6);
        expect(Math.max(...row.map((v, k) => Math.abs(v - before[k])))).toBeLessThan(1e-6);
      }
    });
    // lm targets and the vanilla ones paired with them are read from the model: never kept.
    expect(store.size.targets).toBe(4);
    // Another vocabulary or device is another target.
    expect(storedCount(store, plans, V + 1, model.info.device)).toBe(0);
    expect(storedCount(store, plans, V, 'cuda:0')).toBe(0);
  } finally {
    model.dispose();
  }
});

it('a second sweep given the store takes its targets from it, with the same results as made anew', async () => {
  const spec = (name: string) =>
    parseSpec({
      model: 'random:micro',
      targets: [{ kind: 'vanilla', entropyBits: [1, 4, 8] }],
      methods: [{ method: 'soft' }],
      inits: 1,
      maxEpochs: 5,
      bound: false,
      deterministic: true,
      batchSize: 4,
      output: join(dir, `${name}.arrow`),
    });
  const logs: string[] = [];
  const events = new EventEmitter().on('log', (l: string) => logs.push(l));
  const targetStore = new TargetStore();
  await runSweep(spec('first'), { figures: false, targetStore }, events);
  await runSweep(spec('second'), { figures: false, targetStore }, events);
  await runSweep(spec('alone'), { figures: false }, events);
  expect(logs.filter((l) => l.startsWith('synthesising'))).toEqual([
    'synthesising 3 targets over 1000 tokens',
    'synthesising 3 targets over 1000 tokens (3 of them made by an earlier sweep of this run)',
    'synthesising 3 targets over 1000 tokens',
  ]);
  const [second, alone] = await Promise.all([
    readResults(join(dir, 'second.arrow')),
    readResults(join(dir, 'alone.arrow')),
  ]);
  const same = (r: (typeof second.records)[number]) => [r.rowId, r.targetEntropyBits, r.klNats];
  expect(second.records.map(same)).toEqual(alone.records.map(same));
  await expect(runSweep(spec('bad'), { figures: false, targetStore: {} as TargetStore })).rejects.toThrow(
    'option targetStore must be a TargetStore',
  );
}, 60_000);

it('a study makes its shared vanilla grid once, and its plan prices it once', async () => {
  // The smoke methods grid (0, 2, 4, 6, 8 bits and log2 V) is a subset of vanilla's (0, 1, …, 9, log2 V): the same
  // ids, seeds and parameters.
  const o = { studies: ['vanilla', 'methods'], models: ['random:micro'], scale: 'smoke' as const, bound: false };
  const plan = await estimateStudy({ ...o, calibrationSeconds: 0.5, sampleRows: 2 });
  const [vanilla, methods] = plan.sweeps.map((s) => s.estimate!.setup.targetsSeconds);
  expect(vanilla).toBeGreaterThan(0);
  expect(methods).toBe(0);
  const logs: string[] = [];
  const events = new EventEmitter().on('log', (l: string) => logs.push(l));
  await runStudy({ ...o, outDir: join(dir, 'study') }, events);
  expect(logs.filter((l) => l.includes('synthesising'))).toEqual([
    'vanilla: synthesising 11 targets over 1000 tokens',
    'methods: synthesising 6 targets over 1000 tokens (6 of them made by an earlier sweep of this run)',
  ]);
}, 120_000);
