// The head-bound guard's slack: the bound's certificate, a floor, and what rounding logits as
// large as the row's own can move a KL by. A sound bfloat16 row with large logits sits within
// that of its bound without a bug; a float32 row the same distance below is a bug.
import { describe, expect, it } from 'vitest';

import { belowHeadBound, boundSlackNats } from '../lib/bound/index.js';
import { loadModel } from '../lib/model/load.js';
import { synthesizeTargets } from '../lib/targets/index.js';
import { tune } from '../lib/tune/index.js';
import { logitsAtPrompt } from './helpers/prompt-kl.js';

const maxAbs = (z: Float32Array) => z.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

describe('the bound guard', () => {
  it('allows 2u·max|z| of rounding on top of the certificate and a floor: u = 2^-8 in bfloat16, 2^-11 in float16', () => {
    expect(boundSlackNats('bfloat16', 0.01, 32)).toBeCloseTo(0.01 + 5e-2 + 2 * 2 ** -8 * 32, 12);
    expect(boundSlackNats('float16', 0, 32)).toBeCloseTo(5e-2 + 2 * 2 ** -11 * 32, 12);
    // float32 rounding is far below its floor at any logit a model makes.
    expect(boundSlackNats('float32', 0, 32)).toBeCloseTo(1e-3, 5);
    // Logits that are not finite say nothing about the rounding: the floor alone.
    expect(boundSlackNats('bfloat16', 0, NaN)).toBe(5e-2);
  });

  it('flags a row 0.2 nats below its bound in float32 whatever its logits, in bfloat16 only where its logits are small', () => {
    const bound = 3;
    const kl = bound - 0.2;
    expect(belowHeadBound(kl, bound, 1e-6, 'float32', 40)).toBe(true);
    expect(belowHeadBound(kl, bound, 1e-6, 'bfloat16', 5)).toBe(true);
    // |z| = 40 in bfloat16: each logit within 0.16, the KL within 0.31 of its exact value.
    expect(belowHeadBound(kl, bound, 1e-6, 'bfloat16', 40)).toBe(false);
    expect(belowHeadBound(bound, bound, 1e-6, 'float32', 0)).toBe(false);
  });

  for (const [dtype, digits] of [
    ['float32', 4],
    ['bfloat16', 1],
  ] as const)
    it(`a tune record's maxAbsLogit is the largest |logit| of the model at its best prompt (${dtype}, soft and hard)`, async () => {
      const model = await loadModel('random:tiny-gpt2', { tokenizer: false, dtype });
      try {
        const set = await synthesizeTargets(model, {
          kind: 'vanilla',
          entropyBits: [1, 4],
          method: 'temperature',
          seed: 9,
        });
        const targets = set.toArray();
        set.dispose();
        for (const method of ['soft', 'hard'] as const) {
          const rows = await tune(model, {
            targets,
            method,
            inits: 2,
            maxEpochs: 6,
            returnSoftPrompt: method === 'soft',
          });
          expect(rows.length).toBe(4);
          for (const r of rows) {
            const want = maxAbs(await logitsAtPrompt(model, r));
            expect(want).toBeGreaterThan(0);
            expect(r.maxAbsLogit, `${method} ${r.rowId}`).toBeCloseTo(want, digits);
          }
        }
      } finally {
        model.dispose();
      }
    });
});
