// Library functions called as a script might call them by mistake: without their options object,
// with positions a model cannot read, with an entropy no distribution has. Each names the call
// and what it wanted, instead of a bare 'Cannot convert undefined or null to object' or a
// silent number (outlierMassBound(NaN) was 0.01; a rotary model read position -1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  estimateStudy,
  hotflipTopK,
  klDivergence,
  loadModel,
  outlierMassBound,
  plotAll,
  report,
  runStudy,
  specFromFlags,
  TargetError,
  validateTargets,
  type Model,
} from '../lib/index.js';

let llama: Model;
beforeAll(async () => {
  llama = await loadModel('random:tiny-llama3');
});
afterAll(() => llama.dispose());

describe('a call without its options object names the call and its fields', () => {
  it.each([
    ['klDivergence', () => klDivergence(undefined as never)],
    ['hotflipTopK', () => hotflipTopK(undefined as never)],
    ['estimateStudy', () => estimateStudy(undefined as never)],
    ['runStudy', () => runStudy(null as never)],
    ['logits', () => llama.logits(undefined as never)],
  ] as Array<[string, () => Promise<unknown>]>)('%s', async (name, call) => {
    await expect(Promise.resolve().then(call)).rejects.toThrow(
      new RegExp(`^${name}: expected an object of (fields|options) \\(\\w+, .*\\), got (undefined|null)$`),
    );
  });
});

describe('a call without the path it writes, or the list it runs, names the argument', () => {
  // Before, each was Node's 'The "path" argument must be of type string. Received undefined'
  // (a study's after its sweeps were planned) or a TypeError from inside.
  const results = [] as never;
  it.each([
    [
      'plotAll',
      () => plotAll(results, undefined as never),
      /^plotAll: give the folder to draw the figures in, .* got undefined$/,
    ],
    ['report', () => report(results, undefined as never), /^report: give the HTML file to write, .* got undefined$/],
    [
      'runStudy without outDir',
      () => runStudy({ studies: ['vanilla'], models: ['random:micro'], scale: 'smoke' } as never),
      /^give the study's output folder, e\.g\. outDir: 'study-vanilla', got undefined$/,
    ],
    [
      'runStudy without models',
      () => runStudy({ studies: ['vanilla'], scale: 'smoke', outDir: 'never' } as never),
      /^give the models as a list of names, e\.g\. models: \['random:demo'\], got undefined$/,
    ],
    [
      'estimateStudy with no model',
      () => estimateStudy({ studies: ['vanilla'], models: [], scale: 'smoke' }),
      /^give at least one model, e\.g\. models: \['random:demo'\]$/,
    ],
    [
      'estimateStudy with a model as a string',
      () => estimateStudy({ studies: ['vanilla'], models: 'random:micro' as never, scale: 'smoke' }),
      /^give the models as a list of names, .* got 'random:micro'$/,
    ],
    // Before, "Cannot read properties of undefined (reading 'targets')": no study file has a 'Smoke' spec.
    [
      'runStudy with a scale no study file has',
      () => runStudy({ studies: ['vanilla'], models: ['random:micro'], scale: 'Smoke' as never, outDir: 'never' }),
      /^scale must be 'paper' or 'smoke', got 'Smoke'$/,
    ],
    [
      'estimateStudy with a scale no study file has',
      () => estimateStudy({ studies: ['vanilla'], models: ['random:micro'], scale: 'tiny' as never }),
      /^scale must be 'paper' or 'smoke', got 'tiny'$/,
    ],
    [
      'specFromFlags without flags',
      () => specFromFlags(undefined as never),
      /^specFromFlags: expected an object of the CLI's flags \(\{\} for none\), got undefined$/,
    ],
    [
      'runStudy without studies',
      () => runStudy({ models: ['random:micro'], scale: 'smoke', outDir: 'never' } as never),
      /^give the studies as a list of names, e\.g\. studies: \['vanilla'\], got undefined$/,
    ],
  ] as Array<[string, () => Promise<unknown>, RegExp]>)('%s', async (_name, call, message) => {
    await expect(Promise.resolve().then(call)).rejects.toThrow(message);
  });
});

describe('validateTargets', () => {
  it('names a rows or vocab count that is missing or not a count', () => {
    const data = new Float32Array([0.5, 0.5]);
    // Before: 'targets have 2 values; expected 1 rows × undefined (the vocabulary) = NaN'.
    expect(() => validateTargets(data, 1, undefined as never)).toThrow(
      'validateTargets: vocab must be an integer of at least 2, got undefined',
    );
    expect(() => validateTargets(data, 0.5, 4)).toThrow(
      'validateTargets: rows must be an integer of at least 0, got 0.5',
    );
    expect(validateTargets(data, 1, 2)).toEqual(data);
    // No rows: a resume or plan with nothing left to make.
    expect(validateTargets(new Float32Array(0), 0, 2)).toHaveLength(0);
  });
});

describe('positionIds', () => {
  const ids = Int32Array.from([1, 2, 3]);
  it('must be an Int32Array of positions >= 0, on a rotary model too', async () => {
    await expect(llama.logits({ ids, rows: 1, positions: 3, positionIds: [0, 1, 2] as never })).rejects.toThrow(
      'logits: positionIds must be an Int32Array',
    );
    await expect(
      llama.logits({ ids, rows: 1, positions: 3, positionIds: Int32Array.from([0, -1, 2]) }),
    ).rejects.toThrow('logits: position id -1 is negative');
    const ok = await llama.logits({ ids, rows: 1, positions: 3, positionIds: Int32Array.from([0, 1, 2]) });
    expect(ok.length).toBe(llama.info.vocabSize);
  });
});

describe('outlierMassBound', () => {
  it('refuses an entropy outside [0, log2 vocab] and a vocabulary that is not a count', () => {
    for (const h of [NaN, -1, 7.1]) expect(() => outlierMassBound(h, 128)).toThrow(TargetError);
    expect(() => outlierMassBound(1, 1)).toThrow('outlierMassBound: vocab must be an integer of at least 2, got 1');
    expect(outlierMassBound(7, 128)).toBeLessThanOrEqual(0.01);
    expect(outlierMassBound(0, 128)).toBe(1);
  });
});
