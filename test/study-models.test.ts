// A study's models on real loads: each loaded once when a sweep needs it, disposed after its last
// sweep (a random twin after random-init), and the ones checked up front dropped until needed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import { StudyModels } from '../lib/run/study-models.js';
import { expandStudies } from '../lib/study/catalog.js';
import { planStudy } from '../lib/study/plan.js';

const fixture = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');

it('loads a model once, and disposes it after the last sweep that runs on it', async () => {
  const sweeps = planStudy(expandStudies(['vanilla', 'random-init', 'outliers']), {
    scale: 'smoke',
    models: [fixture],
    outDir: mkdtempSync(join(tmpdir(), 'distprompt-models-')),
  });
  expect(sweeps.map((s) => [s.experiment, s.model === fixture])).toEqual([
    ['vanilla', true],
    ['random-init', false],
    ['outliers', true],
  ]);
  const loads: string[] = [];
  const models = new StudyModels(sweeps, (s) => (loads.push(s.model), loadModel(s.model, { tokenizer: false })));
  try {
    const [vanilla, twin, outliers] = sweeps;
    // Checked up front: both loaded, then only the first sweep's kept.
    const given = await models.get(vanilla);
    const checked = await models.get(twin);
    models.keepOnly(vanilla.model);
    expect([given.disposed, checked.disposed]).toEqual([false, true]);
    expect(await models.get(vanilla)).toBe(given);
    models.done(vanilla);
    expect(given.disposed).toBe(false); // outliers runs on it later
    const twinModel: Model = await models.get(twin);
    models.done(twin);
    expect(twinModel.disposed).toBe(true); // its last sweep
    expect(await models.get(outliers)).toBe(given);
    models.done(outliers);
    expect(given.disposed).toBe(true);
    expect(loads).toEqual([fixture, twin.model, twin.model]);
  } finally {
    models.dispose();
  }
}, 60_000);
