// Each kernel choice (loadModel's `kernels`) against the plain path it can replace, on the CPU:
// the shared-target candidate KL against per-candidate copies and a float64 reference on odd
// shapes; grouped-query attention and the fused RMSNorm against the expanded / transformers
// sequence on odd head groupings (1, 2 and 3 query heads per key head, multi-query), through
// the forward, the KL gradient and the tuner's hard and soft epochs; and the option's errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { loadModel } from '../lib/index.js';
import { native } from '../lib/native/index.js';
import type { KernelChoice } from '../lib/native/types-model.js';
import { tune, type TuneOptions } from '../lib/tune/index.js';
import { klRow, randomTarget, rng } from './helpers/dist.js';
import { expectSameRecords, pairByRow } from './helpers/same-records.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A random twin's config.json: a small Llama with the given head grouping. */
function llamaDir(heads: number, kvHeads: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'dp-kernels-'));
  dirs.push(dir);
  const config = {
    model_type: 'llama',
    vocab_size: 301,
    hidden_size: heads * 8,
    num_hidden_layers: 2,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    intermediate_size: 40,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 64,
    tie_word_embeddings: false,
    hidden_act: 'silu',
    initializer_range: 0.2,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return `random:${dir}`;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('the shared-target candidate KL (klCandidates)', () => {
  // V = 9000 ≥ 4 chunks of 2048 with fewer rows than threads takes the split-row path.
  const shapes = [
    { rows: 1, k: 1, vocab: 2 },
    { rows: 3, k: 5, vocab: 7 },
    { rows: 2, k: 3, vocab: 2049 },
    { rows: 1, k: 2, vocab: 9000 },
  ];
  it.each(shapes)(
    'rows $rows × k $k, vocab $vocab: each candidate against its own row, shared = copied = reference',
    async (s) => {
      const r = rng(s.rows * 131 + s.k * 7 + s.vocab);
      const logits = Float32Array.from({ length: s.rows * s.k * s.vocab }, () => (r() - 0.5) * 12);
      const target = new Float32Array(s.rows * s.vocab);
      for (let i = 0; i < s.rows; i++) target.set(randomTarget(s.vocab, 90 + i, 4), i * s.vocab);
      target[1] = 0; // a zero in the target: no term, no NaN
      for (const dtype of ['float32', 'float64', 'bfloat16'] as const) {
        const a = { logits, target, rows: s.rows, vocab: s.vocab, candidates: s.k, dtype };
        const shared = await native().klCandidates(a);
        const copied = await native().klCandidates({ ...a, shared: false });
        expect(shared.length).toBe(s.rows * s.k);
        expect(maxAbsDiff(shared, copied)).toBe(0); // the same kernel reading the same numbers
        // As the tuner calls it: with the target's own sums given (row r / k's).
        const known = await native().klCandidates({ ...a, targetTerms: true });
        expect(maxAbsDiff(known, await native().klCandidates({ ...a, targetTerms: true, shared: false }))).toBe(0);
        expect(maxAbsDiff(known, shared)).toBeLessThan(dtype === 'float64' ? 1e-9 : 1e-4);
        if (dtype === 'bfloat16') continue; // rounded logits: the equality above is the check
        for (let i = 0; i < s.rows * s.k; i++) {
          const want = klRow(target, Math.floor(i / s.k), logits, i, s.vocab);
          expect(Math.abs(shared[i] - want), `${dtype} row ${i}`).toBeLessThan(1e-5 * Math.max(1, want));
        }
      }
    },
  );

  it('refuses logits that are not k rows per target row', () => {
    const a = { logits: new Float32Array(5 * 4), target: new Float32Array(2 * 4), rows: 2, vocab: 4, candidates: 2 };
    expect(() => native().klCandidates(a)).toThrow(/logits has 20 values; expected 4×4 = 16/);
  });
});

const GROUPINGS = [
  { heads: 4, kv: 2 }, // 2 query heads per key head
  { heads: 6, kv: 2 }, // 3
  { heads: 5, kv: 1 }, // multi-query
  { heads: 4, kv: 4 }, // plain multi-head: nothing to group
];

describe.each(GROUPINGS)('a Llama with $heads query heads and $kv key heads', ({ heads, kv }) => {
  const name = llamaDir(heads, kv);
  const load = (kernels: Partial<KernelChoice>, dtype: 'float32' | 'bfloat16' = 'float32') =>
    loadModel(name, { seed: 2, tokenizer: false, dtype, kernels });

  it('grouped attention and the fused RMSNorm: the same logits and KL gradient as the plain paths', async () => {
    const plain = await load({ groupedAttention: false, fusedRmsNorm: false });
    const rows = 3,
      positions = 6,
      V = plain.info.vocabSize;
    const r = rng(heads * 10 + kv);
    const embeds = Float32Array.from({ length: rows * positions * plain.info.hiddenSize }, () => (r() - 0.5) * 2);
    const target = new Float32Array(rows * V);
    for (let i = 0; i < rows; i++) target.set(randomTarget(V, 7 + i, 3), i * V);
    const want = await plain.klGradient({ embeds, rows, positions, target });
    for (const kernels of [
      { groupedAttention: true },
      { fusedRmsNorm: true },
      { groupedAttention: true, fusedRmsNorm: true },
    ]) {
      const m = await load(kernels);
      try {
        const got = await m.klGradient({ embeds, rows, positions, target });
        expect(maxAbsDiff(got.klNats, want.klNats), JSON.stringify(kernels)).toBeLessThan(1e-5);
        expect(maxAbsDiff(got.gradEmbeds, want.gradEmbeds), JSON.stringify(kernels)).toBeLessThan(1e-5);
      } finally {
        m.dispose();
      }
    }
    // bfloat16: the fused norm rounds once where transformers' sequence rounds twice, so only close.
    const [p16, f16] = [
      await load({ fusedRmsNorm: false }, 'bfloat16'),
      await load({ fusedRmsNorm: true }, 'bfloat16'),
    ];
    const [a, b] = [await p16.logits({ embeds, rows, positions }), await f16.logits({ embeds, rows, positions })];
    const scale = Math.max(...Array.from(a, Math.abs));
    expect(maxAbsDiff(a, b) / scale).toBeLessThan(0.05);
    for (const m of [plain, p16, f16]) m.dispose();
  });

  it('the tuner makes the same hard (k = 3, context before) and soft choices with every choice on as off', async () => {
    const off = await load({ sharedTargets: false, groupedAttention: false, fusedRmsNorm: false });
    const on = await load({ sharedTargets: true, groupedAttention: true, fusedRmsNorm: true });
    const V = off.info.vocabSize;
    const targets = new Float32Array(2 * V);
    for (let t = 0; t < 2; t++) targets.set(randomTarget(V, 60 + t, 3), t * V);
    const runs: Partial<TuneOptions>[] = [
      { method: 'hard', prefixLength: 4, candidates: 3, contextBefore: Int32Array.from([5, 9]) },
      { method: 'soft', prefixLength: 3 },
    ];
    for (const o of runs) {
      const common = { targets, inits: 2, maxEpochs: 4, patience: 50, ban: 'none' as const, ...o };
      expectSameRecords(pairByRow(await tune(off, common), await tune(on, common)));
    }
    off.dispose();
    on.dispose();
  });
});

describe('the kernels option', () => {
  it('reports the device defaults and the overrides given', async () => {
    const m = await loadModel('random:micro', { tokenizer: false });
    expect(m.info.kernels).toEqual({ sharedTargets: true, groupedAttention: true, fusedRmsNorm: false });
    m.dispose();
    const o = await loadModel('random:micro', { tokenizer: false, kernels: { sharedTargets: false } });
    expect(o.info.kernels.sharedTargets).toBe(false);
    expect(o.info.kernels.groupedAttention).toBe(true);
    o.dispose();
  });

  it('names an unknown choice or a value that is not a boolean', async () => {
    await expect(loadModel('random:micro', { kernels: { fastMath: true } as never })).rejects.toThrow(
      /kernels\.fastMath is not a kernel choice; known: sharedTargets, groupedAttention, fusedRmsNorm/,
    );
    await expect(loadModel('random:micro', { kernels: { fusedRmsNorm: 1 } as never })).rejects.toThrow(
      /kernels\.fusedRmsNorm must be true or false, got 1/,
    );
    await expect(loadModel('random:micro', { kernels: 'fast' as never })).rejects.toThrow(/kernels must be an object/);
    // A misspelt option is refused, not dropped: `devise: 'cuda'` would otherwise load on the CPU.
    await expect(loadModel('random:micro', { devise: 'cuda' } as never)).rejects.toThrow(
      /loadModel: unknown option 'devise' \(known: device, dtype, .*kernels, signal\)/,
    );
  });
});
