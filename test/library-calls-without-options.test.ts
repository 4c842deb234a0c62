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
  runStudy,
  TargetError,
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
