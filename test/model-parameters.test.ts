// Model.info.parameters counts every weight the model reads, norms included: the sum of the
// elements of the checkpoint tensors the loader selects (a tied head counted once), which is
// what transformers' num_parameters() gives for these checkpoints; and a random twin has as many.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { readCheckpoint, selectTensors } from '../lib/checkpoint/index.js';
import { loadModel } from '../lib/index.js';
import { configFromHf } from '../lib/model/config.js';

const golden = join(import.meta.dirname, 'fixtures', 'hf-golden');
// GPT-2 (learned positions, LayerNorm with biases), Llama with GQA, Qwen2 (qkv biases), Falcon-7B's
// parallel block with one shared norm, a sharded GPT-2.
const CASES = ['a_gpt2', 'b_llama_gqa', 'd_qwen2', 'e_falcon7b_style', 'g_gpt2_sharded'];

describe('parameters', () => {
  for (const name of CASES)
    it(`of ${name}: every element of the tensors the model reads, norms included, and its twin's alike`, async () => {
      const dir = join(golden, name);
      const ckpt = await readCheckpoint(dir);
      const { files } = selectTensors(ckpt, configFromHf(ckpt.config));
      const elements = files.flatMap((f) => f.tensors).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
      const [model, twin] = await Promise.all([
        loadModel(dir, { tokenizer: false }),
        loadModel(`random:${dir}`, { tokenizer: false }),
      ]);
      try {
        expect(model.info.parameters).toBe(elements);
        expect(twin.info.parameters).toBe(elements);
      } finally {
        model.dispose();
        twin.dispose();
      }
    });
});
