// A study's models on real loads: one held at a time, kept across consecutive sweeps on it,
// disposed when a sweep on another model comes (and loaded again for a later sweep) or after its
// last sweep; described for the up-front check without loading any weights.
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { StudyModels } from '../lib/run/study-models.js';
import { expandStudies } from '../lib/study/catalog.js';
import { planStudy } from '../lib/study/plan.js';
import { scratchDirs } from './helpers/cli.js';

const tmp = scratchDirs('models');

const fixture = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');
// The name a study gives the folder: its path from the working folder.
const named = relative(process.cwd(), fixture);

it('holds one model at a time, reloading the one a later sweep runs on after a sweep on another', async () => {
  const sweeps = planStudy(expandStudies(['vanilla', 'methods', 'random-init', 'outliers']), {
    scale: 'smoke',
    models: [fixture],
    outDir: tmp(),
  });
  expect(sweeps.map((s) => [s.experiment, s.model === named])).toEqual([
    ['vanilla', true],
    ['methods', true],
    ['random-init', false],
    ['outliers', true],
  ]);
  const loads: string[] = [];
  const models = new StudyModels(
    sweeps,
    () => ({ tokenizer: false }),
    (s) => loads.push(s.model),
  );
  try {
    const [vanilla, methods, twin, outliers] = sweeps;
    // The up-front check describes each model: nothing is loaded.
    const [given, described] = [await models.describe(vanilla), await models.describe(twin)];
    expect([given.vocabSize, described.vocabSize, given.hasTokenizer]).toEqual([
      given.config.vocabSize,
      given.config.vocabSize,
      false,
    ]);
    expect(loads).toEqual([]);
    const first = await models.get(vanilla);
    models.done(vanilla);
    expect(await models.get(methods)).toBe(first); // kept across consecutive sweeps on it
    models.done(methods);
    expect(models.takeLoadSeconds()).toBeGreaterThan(0);
    const twinModel = await models.get(twin);
    expect(first.disposed).toBe(true); // not held beside the twin
    models.done(twin);
    expect(twinModel.disposed).toBe(true); // its last sweep
    const again = await models.get(outliers);
    expect(again).not.toBe(first);
    expect(again.info.identity).toBe(first.info.identity);
    models.done(outliers);
    expect(again.disposed).toBe(true);
    expect(loads).toEqual([named, twin.model, named]);
  } finally {
    models.dispose();
  }
}, 60_000);

it("describes a model as loadModel would load it: the device's memory less its weights, its tokenizer", async () => {
  const sweeps = planStudy(expandStudies(['vanilla']), {
    scale: 'smoke',
    models: ['random:tiny-gpt2'],
    outDir: tmp(),
  });
  const models = new StudyModels(sweeps, () => ({}));
  const d = await models.describe(sweeps[0]);
  const model = await loadModel('random:tiny-gpt2');
  try {
    expect([d.name, d.vocabSize, d.device, d.hasTokenizer]).toEqual([
      'random:tiny-gpt2',
      model.info.vocabSize,
      'cpu',
      model.tokenizer !== undefined,
    ]);
    expect(d.hasTokenizer).toBe(true);
    expect(d.config).toEqual(model.info.config);
  } finally {
    model.dispose();
  }
  await expect(new StudyModels(sweeps, () => ({})).describe({ ...sweeps[0], model: 'random:nope' })).rejects.toThrow(
    "unknown preset 'random:nope'",
  );
});
