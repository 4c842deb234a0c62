// The positional (hard / hybrid) epoch with the prefix cache against the plain epoch it replaces:
// each position's step starts from the cached keys and values of the positions before it and
// backpropagates from that position on, and must make the same choices (HotFlip candidates, k > 1
// trials, AdamW steps) with the same losses as recomputing the whole sequence. Odd prefix lengths
// and k, context before and after the prompt, k > 1 candidates in more than one forward, rows
// refilled into a part-full batch, GQA (tiny-llama3), learned positions (tiny-gpt2) and the
// parallel block (tiny-falcon). A row may end on another of two prompts whose losses tie to float
// rounding; that is checked to be a tie (expectSameRecordsOrTies), whatever the CPU's rounding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { tune, type TuneOptions, type TuneRecord } from '../lib/tune/index.js';
import { randomTarget } from './helpers/dist.js';
import { klAtPrompt } from './helpers/prompt-kl.js';
import { expectSameRecordsOrTies, pairByRow } from './helpers/same-records.js';

const MODELS = ['random:tiny-gpt2', 'random:tiny-llama3', 'random:tiny-falcon'] as const;

/** The rows' options: three targets, two inits each. */
function common(model: Model, options: Partial<TuneOptions>): Partial<TuneOptions> & { targets: Float32Array } {
  const V = model.info.vocabSize;
  const targets = new Float32Array(3 * V);
  for (let t = 0; t < 3; t++) targets.set(randomTarget(V, 40 + t, 3 + t), t * V);
  // Soft prompts where there are soft positions: a hard method has none (tune() refuses true for it).
  const returnSoftPrompt = options.method !== 'hard';
  return { inits: 2, maxEpochs: 3, patience: 50, returnSoftPrompt, ...options, targets };
}

/** Both epochs on the same rows, records paired by row: the same, or tied, in every row but 2 at most. */
async function both(model: Model, options: Partial<TuneOptions>): Promise<[TuneRecord, TuneRecord][]> {
  const rows = common(model, options);
  const plain = await tune(model, { ...rows, prefixCache: false });
  const pairs = pairByRow(plain, await tune(model, { ...rows, prefixCache: true }));
  await expectSameRecordsOrTies(pairs, (r) => klAtPrompt(model, r, rows), 4);
  return pairs;
}

describe.each(MODELS)('%s: the prefix cache against the plain positional epoch', (name) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(name, { seed: 3, tokenizer: false });
  });
  afterAll(() => model?.dispose());

  it('hard, k = 1, 5 positions: the same HotFlip choices, losses and prompts', async () => {
    const pairs = await both(model, { method: 'hard', prefixLength: 5, candidates: 1 });
    expect(pairs.some(([p]) => p.bestEpoch > 0)).toBe(true);
  });

  it('hard, k = 3, 3 positions, context before and after: the same trials and choices', async () => {
    const pairs = await both(model, {
      method: 'hard',
      prefixLength: 3,
      candidates: 3,
      contextBefore: Int32Array.from([11, 7]),
      contextAfter: Int32Array.from([5]),
    });
    // The trials changed something: a prompt that never moved would pass trivially.
    expect(pairs.some(([p]) => p.bestEpoch > 0)).toBe(true);
  });

  it('hybrid HSHSS: the same hard choices and AdamW steps at the soft positions', async () => {
    const pairs = await both(model, { method: 'hybrid', pattern: 'HSHSS', candidates: 1 });
    expect(pairs.every(([p]) => p.softPrompt && p.softPrompt.some((x) => x !== 0))).toBe(true);
  });

  it('hard, k = 80 in 4 slots over 6 rows: candidates in two forwards, refills', async () => {
    // With 4 rows running the trials go 64 candidates to a forward (256 / rows), so the last 16
    // share the prefix in a forward of their own; the last 2 rows then run in a part-full batch.
    const pairs = await both(model, { method: 'hard', prefixLength: 3, candidates: 80, batchSize: 4 });
    expect(pairs.some(([p]) => p.bestEpoch > 0)).toBe(true);
  });
});
