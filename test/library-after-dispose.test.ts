// Every call on a disposed model rejects with DisposedError (exported, so a script can tell it
// apart with instanceof), naming the model: headBound wrapped it in a NativeError.
import { describe, expect, it } from 'vitest';

import { DisposedError, headBound, loadModel, synthesizeTargets, tune } from '../lib/index.js';

describe('a disposed model', () => {
  it('is refused by every call that needs it with a DisposedError naming it', async () => {
    const model = await loadModel('random:micro');
    const { vocabSize: V, hiddenSize: H } = model.info;
    const target = new Float32Array(V).fill(1 / V);
    const ids = Int32Array.from([1, 2, 3]);
    model.dispose();
    const calls: Array<[string, () => PromiseLike<unknown>]> = [
      ['logits', () => model.logits({ ids, rows: 1, positions: 3 })],
      ['klGradient', () => model.klGradient({ embeds: new Float32Array(3 * H), rows: 1, positions: 3, target })],
      ['tune', () => tune(model, { targets: target, maxEpochs: 2 })],
      ['headBound', () => headBound(model, target)],
      ['synthesizeTargets', () => synthesizeTargets(model, { kind: 'lm', count: 1 })],
    ];
    for (const [name, call] of calls) {
      const e = await Promise.resolve()
        .then(call)
        .catch((x: unknown) => x);
      expect(e, name).toBeInstanceOf(DisposedError);
      expect((e as Error).message, name).toBe('model random:micro was disposed');
    }
  });
});
