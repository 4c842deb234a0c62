// runSweep and estimateSweep as a script calls them: a spec written by hand, options of the wrong
// type, a model other than the spec's, an abort before the first row. Each is refused (or run)
// before anything is written, with a message naming the option.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { estimateSweep } from '../lib/run/estimate.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec, type SweepSpec } from '../lib/spec/index.js';
import { scratchDirs } from './helpers/cli.js';

const small = {
  model: 'random:micro',
  targets: [{ kind: 'vanilla', entropyBits: [1, 3], method: 'temperature' }],
  inits: 1,
  maxEpochs: 5,
  bound: false,
};
let model: Model;
const tmp = scratchDirs('libsweep');

beforeAll(async () => {
  model = await loadModel('random:micro');
});
afterAll(() => model.dispose());

describe('runSweep and estimateSweep take a spec written by hand', () => {
  it('an unparsed spec object runs as parseSpec would read it', async () => {
    const dir = tmp();
    const out = join(dir, 'r.arrow');
    const s = await runSweep({ ...small, output: out } as unknown as SweepSpec, { model, figures: false });
    expect(s.rowsRun).toBe(2);
    expect(existsSync(out)).toBe(true);
    const e = await estimateSweep({ ...small, output: out } as unknown as SweepSpec, {
      model,
      calibrationSeconds: 0.5,
    });
    expect(e.rows).toBe(2);
  });

  it('a bad field of a hand-written spec is a SpecError naming it', async () => {
    const dir = tmp();
    const bad = { ...small, inits: '2', output: join(dir, 'r.arrow') } as unknown as SweepSpec;
    await expect(runSweep(bad, { model, figures: false })).rejects.toThrow(/inits: expected a positive integer/);
    await expect(estimateSweep(bad, { model })).rejects.toThrow(/inits: expected a positive integer/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('no spec at all is refused, not run as the study defaults', async () => {
    await expect(runSweep(undefined as never)).rejects.toThrow(/^runSweep: give a sweep spec/);
    await expect(estimateSweep(undefined as never)).rejects.toThrow(/^estimateSweep: give a sweep spec/);
  });
});

describe('their options are checked by type before any work', () => {
  const dir = tmp();
  const spec = () => parseSpec({ ...small, output: join(dir, 'r.arrow') });
  it.each([
    [{ resume: 'no' }, /^runSweep: option resume must be true or false, got 'no'/],
    [{ overwrite: 'yes' }, /^runSweep: option overwrite must be true or false, got 'yes'/],
    [{ figures: 3 }, /^runSweep: option figures must be a folder path or false, got 3/],
    [{ signal: 'stop' }, /^runSweep: option signal must be an AbortSignal/],
    [{ model: 'random:micro' }, /^runSweep: option model must be a Model from loadModel or a function/],
  ])('runSweep %j', async (options, message) => {
    await expect(runSweep(spec(), options as never)).rejects.toThrow(message);
    expect(readdirSync(dir)).toEqual([]);
  });
  it.each([
    [{ calibrationSeconds: -1 }, /calibrationSeconds must be a finite number of seconds above 0, got -1/],
    [{ calibrationSeconds: '1' }, /calibrationSeconds must be a finite number of seconds above 0, got '1'/],
    [{ calibrationSeconds: NaN }, /calibrationSeconds must be a finite number of seconds above 0, got NaN/],
    [{ sampleRows: 0 }, /sampleRows must be a positive integer, got 0/],
    [{ costs: {} }, /costs must be a Map/],
  ])('estimateSweep %j', async (options, message) => {
    await expect(estimateSweep(spec(), { model, ...options } as never)).rejects.toThrow(message);
  });
});

describe('a given model must be the one the spec names', () => {
  it('a model other than spec.model is refused: its rows would be stored under the other name', async () => {
    const dir = tmp();
    const spec = parseSpec({ ...small, model: 'random:tiny-gpt2', output: join(dir, 'r.arrow') });
    const message =
      /option model is not the spec's \(spec.model is 'random:tiny-gpt2', the model's is 'random:micro'\)/;
    await expect(runSweep(spec, { model, figures: false })).rejects.toThrow(message);
    await expect(runSweep(spec, { model: async () => model, figures: false })).rejects.toThrow(message);
    await expect(estimateSweep(spec, { model })).rejects.toThrow(message);
    const dtype = parseSpec({ ...small, dtype: 'bfloat16', output: join(dir, 'r.arrow') });
    await expect(runSweep(dtype, { model, figures: false })).rejects.toThrow(
      /spec.dtype is 'bfloat16', the model's is 'float32'/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('an abort before the first row', () => {
  it('ends the sweep as interrupted, with no rows, instead of failing on the targets it skipped', async () => {
    const dir = tmp();
    const ac = new AbortController();
    ac.abort();
    const s = await runSweep(parseSpec({ ...small, output: join(dir, 'r.arrow') }), {
      model,
      figures: false,
      signal: ac.signal,
    });
    expect(s).toMatchObject({ interrupted: true, rowsRun: 0 });
    expect(existsSync(join(dir, 'r.arrow'))).toBe(false);
  });
});

describe("a migrated target's source model", () => {
  it('is read before the sweep loads its own model: a wrong one is told without that wait', async () => {
    const dir = tmp();
    let loaded = false;
    const lazy = async () => {
      loaded = true;
      return loadModel('random:tiny-gpt2');
    };
    const spec = parseSpec({
      ...small,
      model: 'random:tiny-gpt2',
      targets: [{ kind: 'migrated', source: 'random:nope', count: 1 }],
      output: join(dir, 'r.arrow'),
    });
    await expect(runSweep(spec, { model: lazy, figures: false })).rejects.toThrow(
      "the source model random:nope of migrated targets: unknown preset 'random:nope'",
    );
    // random:micro has no tokenizer, which migrated targets read in their source.
    const noTokenizer = parseSpec({ ...spec, targets: [{ kind: 'migrated', source: 'random:micro', count: 1 }] });
    await expect(runSweep(noTokenizer, { model: lazy, figures: false })).rejects.toThrow(
      "migrated targets need the source model's tokenizer; random:micro has none",
    );
    expect(loaded).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
