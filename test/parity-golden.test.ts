// Parity with Hugging Face transformers' own outputs (test/fixtures/hf-golden, see its README):
// same weights in, same numbers out, for every family the Transformer covers.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib/index.js';
import { readGolden, relError } from './helpers/golden.js';

const root = join(import.meta.dirname, 'fixtures', 'hf-golden');
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const TOL = 1e-4;

describe.each(cases)('hf-golden %s', (name) => {
  const dir = join(root, name);
  const g = readGolden(join(dir, 'golden.safetensors'));
  const [rows, positions] = g.input_ids.shape;

  it('matches logits, hidden state and embedding gradient', async () => {
    const model = await loadModel(dir, { tokenizer: false });
    try {
      const embeds = g.inputs_embeds.f32!;
      const hidden = await model.hidden({ embeds, rows, positions });
      expect(relError(hidden, g.hidden_last.f32!)).toBeLessThan(TOL);
      const logits = await model.logits({ embeds, rows, positions });
      expect(relError(logits, g.logits_embeds.f32!)).toBeLessThan(TOL);
      const fromIds = await model.logits({ ids: g.input_ids.i32!, rows, positions });
      expect(relError(fromIds, g.logits_ids.f32!)).toBeLessThan(TOL);
      for (const where of ['far', 'spread'] as const) {
        // Every fixture carries both (see its README): a fixture without them would skip the check.
        expect(g[`position_ids_${where}`], `${name} has position_ids_${where}`).toBeDefined();
        const positionIds = g[`position_ids_${where}`].i32!;
        const far = await model.logits({ embeds, rows, positions, positionIds });
        expect(relError(far, g[`logits_embeds_${where}`].f32!), where).toBeLessThan(TOL);
      }
      const { klNats, gradEmbeds } = await model.klGradient({ embeds, rows, positions, target: g.target.f32! });
      expect(relError(klNats, g.kl.f32!)).toBeLessThan(TOL);
      expect(relError(gradEmbeds, g.grad_embeds.f32!)).toBeLessThan(TOL);
    } finally {
      model.dispose();
    }
  });
});

describe('batch independence', () => {
  it("a row's logits are the same alone and inside a batch of 64 others", async () => {
    const model = await loadModel(join(root, 'b_llama_gqa'), { tokenizer: false });
    const positions = 5;
    const rows = 65;
    const ids = new Int32Array(rows * positions).map((_, i) => (i * 7919 + 13) % model.info.vocabSize);
    const batch = await model.logits({ ids, rows, positions });
    const V = model.info.vocabSize;
    for (const r of [0, 31, 64]) {
      const alone = await model.logits({ ids: ids.slice(r * positions, (r + 1) * positions), rows: 1, positions });
      expect(relError(batch.slice(r * V, (r + 1) * V), alone)).toBeLessThan(1e-5);
    }
    model.dispose();
  });
});
