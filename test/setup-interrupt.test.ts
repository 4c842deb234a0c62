// A Ctrl-C while a sweep is planned or its targets are made stops it at the next slice of that
// work: half a million rows, or ten thousand targets, took seconds that a Ctrl-C waited out.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { journalPath } from '../lib/results/index.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { planTargets } from '../lib/sweep/index.js';
import { synthesizePlans } from '../lib/targets/index.js';
import { scratchDir } from './helpers/cli.js';

const validated = vi.hoisted(() => ({ count: 0 }));
// The real target worker, its validations counted: the last step of making a sweep's targets.
vi.mock('../lib/targets/offload.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../lib/targets/offload.js')>();
  return {
    ...real,
    inTargetWorker: ((task, ...rest) => {
      if (task === 'validate') validated.count++;
      return real.inTargetWorker(task, ...rest);
    }) as typeof real.inTargetWorker,
  };
});

test('making targets stops when its signal aborts mid-way, with an AbortError, before every batch is made', async () => {
  const model = await loadModel('random:micro');
  try {
    // Three native batches over this vocabulary.
    const spec = parseSpec({ targets: [{ kind: 'vanilla', entropyBits: '0.5:max:0.006' }] });
    const plans = planTargets(spec, model.info.vocabSize, {});
    expect(plans.length).toBeGreaterThan(2 * 524);
    const stop = new AbortController();
    let turns = 0;
    const spin = () => (++turns === 2 ? stop.abort() : setImmediate(spin));
    setImmediate(spin);
    validated.count = 0;
    await expect(synthesizePlans(model, plans, undefined, stop.signal)).rejects.toThrow(
      expect.objectContaining({ name: 'AbortError' }),
    );
    expect(validated.count).toBe(0);
  } finally {
    model.dispose();
  }
});

test('a sweep interrupted while it makes its targets stops there: none is validated, no journal is left', async () => {
  const out = join(scratchDir('setup-interrupt'), 'r.arrow');
  const stop = new AbortController();
  const events = new EventEmitter();
  // A Ctrl-C a few turns after the making began.
  events.on('log', (m: string) => {
    if (!m.startsWith('synthesising')) return;
    let turns = 0;
    const spin = () => (++turns === 2 ? stop.abort() : setImmediate(spin));
    setImmediate(spin);
  });
  validated.count = 0;
  const summary = await runSweep(
    parseSpec({
      model: 'random:micro',
      targets: [{ kind: 'vanilla', entropyBits: '0.5:max:0.05' }],
      inits: 1,
      maxEpochs: 1,
      bound: false,
      output: out,
    }),
    { signal: stop.signal, figures: false },
    events,
  );
  expect(summary).toMatchObject({ interrupted: true, rowsRun: 0, rowsResumed: 0 });
  expect(validated.count).toBe(0);
  expect(existsSync(journalPath(out))).toBe(false);
  expect(existsSync(out)).toBe(false);
});
