// synthesizeTargets as a script calls it: a request's seed is checked as tune()'s and a spec's
// (a string, NaN, -1 or 1.5 silently made other targets than seed 0's and than any sweep's), its
// entropy grid is read as a spec entry's, and a wrong host or field is named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, synthesizeTargets, type Model } from '../lib/index.js';
import { TargetError } from '../lib/targets/index.js';

let model: Model;
beforeAll(async () => {
  model = await loadModel('random:micro');
});
afterAll(() => model.dispose());

const vanilla = { kind: 'vanilla' as const, method: 'temperature' as const };

describe('synthesizeTargets requests', () => {
  it.each([['3'], [-1], [1.5], [NaN]])('seed %j is refused, naming seed', async (seed) => {
    const e = await synthesizeTargets(model, { ...vanilla, entropyBits: [1], seed } as never).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TargetError);
    expect((e as Error).message).toMatch(/^vanilla targets: seed: /);
  });

  it("an entropy grid reads as a spec entry's: 'start:stop:step' up to 'max', the same targets as the list", async () => {
    const grid = await synthesizeTargets(model, { ...vanilla, entropyBits: '0:max:4' });
    const list = await synthesizeTargets(model, { ...vanilla, entropyBits: [0, 4, 8, Math.log2(1000)] });
    try {
      expect(grid.meta.map((m) => m.id)).toEqual(list.meta.map((m) => m.id));
      expect(grid.toArray()).toEqual(list.toArray());
    } finally {
      grid.dispose();
      list.dispose();
    }
  });

  it.each([
    [[], /^vanilla targets: entropyBits: must not be empty/],
    ['1', /^vanilla targets: entropyBits: expected 'start:stop:step'/],
    [20, /^vanilla targets: entropyBits: entropy 20 bits outside \[0, 9.9658\]/],
    [[20], /entropy 20 bits is outside \[0, log2 1000 = 9.9658\]/],
  ])('entropyBits %j is refused, naming it', async (entropyBits, message) => {
    await expect(synthesizeTargets(model, { ...vanilla, entropyBits } as never)).rejects.toThrow(message);
  });

  it.each([
    [{ kind: 'vanilla' }, "vanilla targets need entropyBits: give it, e.g. { kind: 'vanilla', entropyBits: [1, 2] }"],
    [{ kind: 'outlier', outliers: 2 }, 'outlier targets need entropyBits'],
    [{ kind: 'lm' }, "lm targets need count: give it, e.g. { kind: 'lm', count: 10 }"],
    [{ kind: 'shuffled', shuffles: 2 }, 'shuffled targets need count'],
    [{ kind: 'migrated' }, 'migrated targets need source and count: give them'],
    [{ kind: 'migrated', count: 2 }, 'migrated targets need source: give it'],
    [{ kind: 'file' }, "file targets need path: give it, e.g. { kind: 'file', path: 'targets.json' }"],
  ])('%j without a field its kind needs is refused, naming the field', async (request, message) => {
    // Before, vanilla's was a TypeError from inside the planner and lm's an empty target set.
    const e = await synthesizeTargets(model, request as never).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TargetError);
    expect((e as Error).message).toContain(message);
  });

  it('a missing request, a wrong host and a misspelt host field are named', async () => {
    await expect(synthesizeTargets({ vocabSize: 100 }, undefined as never)).rejects.toThrow(
      /^give a target request such as/,
    );
    await expect(synthesizeTargets(model, undefined as never)).rejects.toThrow(/^give a target request such as/);
    await expect(synthesizeTargets(null as never, { ...vanilla, entropyBits: [1] })).rejects.toThrow(
      /^synthesizeTargets needs a Model or \{ vocabSize \}, got null/,
    );
    await expect(
      synthesizeTargets({ vocabSize: 100, devcie: 'cuda' } as never, { ...vanilla, entropyBits: [1] }),
    ).rejects.toThrow("synthesizeTargets: unknown option 'devcie' (known: vocabSize, device)");
    await expect(synthesizeTargets(model, { kind: 'pos-uniform', tag: 'NOUN' } as never)).rejects.toThrow(
      /^pos-uniform targets: tag: /,
    );
  });
});
