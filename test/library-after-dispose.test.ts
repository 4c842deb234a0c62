// Every call on a disposed model rejects with DisposedError (exported, so a script can tell it
// apart with instanceof), naming the model and what to do: headBound wrapped it in a NativeError.
// A second dispose does nothing.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';

import { DisposedError, estimateSweep, headBound, loadModel, runSweep, synthesizeTargets, tune } from '../lib/index.js';

describe('a disposed model', () => {
  it('is refused by every call that needs it with a DisposedError naming it', async () => {
    const model = await loadModel('random:micro');
    const { vocabSize: V, hiddenSize: H } = model.info;
    const target = new Float32Array(V).fill(1 / V);
    const ids = Int32Array.from([1, 2, 3]);
    model.dispose();
    model.dispose();
    const spec = { model: 'random:micro', output: 'never-written.arrow', maxEpochs: 2 };
    const calls: Array<[string, () => PromiseLike<unknown>]> = [
      ['logits', () => model.logits({ ids, rows: 1, positions: 3 })],
      ['hidden', () => model.hidden({ ids, rows: 1, positions: 3 })],
      ['embed', () => model.embed({ ids, rows: 1, positions: 3 })],
      ['embeddingStats', async () => model.embeddingStats()],
      ['klGradient', () => model.klGradient({ embeds: new Float32Array(3 * H), rows: 1, positions: 3, target })],
      ['tune', () => tune(model, { targets: target, maxEpochs: 2 })],
      ['headBound', () => headBound(model, target)],
      ['synthesizeTargets', () => synthesizeTargets(model, { kind: 'lm', count: 1 })],
      ['runSweep', () => runSweep(spec, { model, figures: false })],
      ['estimateSweep', () => estimateSweep(spec, { model })],
    ];
    for (const [name, call] of calls) {
      const e = await Promise.resolve()
        .then(call)
        .catch((x: unknown) => x);
      expect(e, name).toBeInstanceOf(DisposedError);
      expect((e as Error).message, name).toBe(
        'model random:micro was disposed: load it again (loadModel) for this call, or dispose of it only after its last one',
      );
    }
  });

  it('is refused by a sweep before any of its work (targets, plan), which for a default grid took seconds', async () => {
    const model = await loadModel('random:micro');
    model.dispose();
    const events = new EventEmitter();
    const lines: string[] = [];
    events.on('log', (l: string) => lines.push(l));
    const spec = { model: 'random:micro', output: 'never-written.arrow' };
    await expect(runSweep(spec, { model, figures: false }, events)).rejects.toBeInstanceOf(DisposedError);
    expect(lines).toEqual([]);
  });
});
