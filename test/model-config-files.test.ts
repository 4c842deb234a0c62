// config.json as users hand it over: saved by an editor with a byte-order mark, without a
// model_type, or wrong in a field; every config error names the file it is about. And the limit
// it sets on prompts: a GPT-2's n_positions learned positions.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadModel, ModelConfigError, synthesizeTargets, tune } from '../lib/index.js';
import { byteLevelBpeJson } from '../lib/tokenizer/index.js';
import { rejectionOf } from './helpers/rejection.js';
import { scratchDir } from './helpers/cli.js';

const GOLDEN = join(import.meta.dirname, 'fixtures', 'hf-golden');
const tmp = scratchDir('config-files');

function copyOf(fixture: string, files: string[]): string {
  const dir = mkdtempSync(join(tmp, `${fixture}-`));
  for (const f of files) copyFileSync(join(GOLDEN, fixture, f), join(dir, f));
  return dir;
}

const BOM = '\uFEFF';
const withBom = (path: string) => writeFileSync(path, BOM + readFileSync(path, 'utf8'));

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
}

const configError = (p: Promise<unknown>): Promise<ModelConfigError> => rejectionOf(p, ModelConfigError);

describe('a byte-order mark is ignored', () => {
  it('in config.json, model.safetensors.index.json and tokenizer.json: the same model as without', async () => {
    const plain = await loadModel(join(GOLDEN, 'g_gpt2_sharded'));
    const files = [
      'config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ];
    const dir = copyOf('g_gpt2_sharded', files);
    withBom(join(dir, 'config.json'));
    withBom(join(dir, 'model.safetensors.index.json'));
    writeFileSync(join(dir, 'tokenizer.json'), BOM + JSON.stringify(byteLevelBpeJson({ a: 0, b: 1 }, '')));
    const marked = await loadModel(dir);
    const twin = await loadModel(`random:${dir}`);
    try {
      expect(marked.info.identity).toBe(plain.info.identity);
      expect(twin.info.layers).toBe(plain.info.layers);
      expect(marked.tokenizer?.tokenText(1)).toBe('b');
      const ids = Int32Array.from([1, 2, 3]);
      const input = { ids, rows: 1, positions: 3 };
      expect(await marked.logits(input)).toEqual(await plain.logits(input));
    } finally {
      plain.dispose();
      marked.dispose();
      twin.dispose();
    }
  });
});

describe('config errors name the file', () => {
  it('no model_type says so, listing what is loaded', async () => {
    const dir = copyOf('a_gpt2', ['config.json', 'model.safetensors']);
    editConfig(dir, (c) => delete c.model_type);
    const e = await configError(loadModel(dir));
    expect(e.message).toBe(
      `${join(dir, 'config.json')}: no model_type; distprompt loads gpt2, llama, qwen2, falcon ` +
        '(the config.json of a transformers checkpoint names one)',
    );
  });

  it('a bad field of a checkpoint or of a random twin names its config.json', async () => {
    const dir = copyOf('b_llama_gqa', ['config.json', 'model.safetensors']);
    editConfig(dir, (c) => (c.num_key_value_heads = 3));
    const path = join(dir, 'config.json');
    const want = `${path} (llama): 'num_attention_heads' (4) must be a multiple of 'num_key_value_heads' (3)`;
    expect((await configError(loadModel(dir))).message).toBe(want);
    expect((await configError(loadModel(`random:${dir}`))).message).toBe(want);
    editConfig(dir, (c) => Object.assign(c, { num_key_value_heads: 2, num_hidden_layers: 1e9 }));
    const big = await configError(loadModel(dir));
    expect(big.message.startsWith(`${path}: the model's float32 weights need`)).toBe(true);
  });
});

describe('an empty model argument', () => {
  const cli = join(import.meta.dirname, '..', 'dist', 'lib', 'cli', 'main.js');
  it.each(['', ' '])("'%s' is a usage error (exit 2) in the library and every command", async (model) => {
    const e = await configError(loadModel(model));
    expect(e.message).toBe(`the model is '${model}': give a directory, a Hugging Face repo id or random:<preset>`);
    // info used to ignore it and print the build alone; tune, targets and bound exited 1.
    for (const args of [['info'], ['tune', '--max-epochs', '1'], ['targets', '-o', join(tmp, 't.json')]]) {
      const r = spawnSync(process.execPath, [cli, ...args, '-m', model], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, args[0]).toBe(2);
      expect(r.stderr).toContain(`the model is '${model}'`);
    }
  });
});

describe('keys inside an object of config.json', () => {
  it.each([
    ['rope_scaling', { rope_scaling: { rope_type: 'llama3', factor: 8 } }, "missing 'rope_scaling.low_freq_factor'"],
    [
      'rope_parameters',
      { rope_parameters: { rope_type: 'llama3', rope_theta: 5e5, factor: 8, low_freq_factor: 1, high_freq_factor: 4 } },
      "missing 'rope_parameters.original_max_position_embeddings'",
    ],
  ])('are named with the object they are in (%s)', async (_, patch, message) => {
    const dir = copyOf('b_llama_gqa', ['config.json', 'model.safetensors']);
    editConfig(dir, (c) => Object.assign(c, patch));
    expect((await configError(loadModel(dir))).message).toBe(`${join(dir, 'config.json')}: ${message}`);
  });
});

describe("a prompt longer than a model's learned positions", () => {
  it('is refused before any work, naming n_positions and the longest that fits (was a native error)', async () => {
    const model = await loadModel(join(GOLDEN, 'a_gpt2')); // n_positions 64
    try {
      const targets = new Float32Array(model.info.vocabSize).fill(1 / model.info.vocabSize);
      const fail = (p: PromiseLike<unknown>) =>
        p.then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      const long = await fail(tune(model, { targets, prefixLength: 65, maxEpochs: 1 }));
      expect(long?.name).toBe('TuneOptionsError');
      expect(long?.message).toContain(
        `prefixLength: 65 positions do not fit ${join(GOLDEN, 'a_gpt2')}'s 64 learned positions ` +
          '(config.json n_positions): give at most 64',
      );
      const ctx = await fail(
        tune(model, { targets, prefixLength: 60, contextBefore: Int32Array.from([1, 2, 3, 4, 5]), maxEpochs: 1 }),
      );
      expect(ctx?.message).toContain('prefixLength: 60 + 5 context tokens positions do not fit');
      expect(ctx?.message).toContain('give at most 59');
      const fits = await tune(model, { targets, prefixLength: 64, maxEpochs: 1, inits: 1 });
      expect(fits).toHaveLength(1);
      // lm targets run the model on prompts of promptLength tokens.
      const lm = await fail(synthesizeTargets(model, { kind: 'lm', count: 1, promptLength: 65 }));
      expect(lm?.name).toBe('TargetError');
      expect(lm?.message).toContain('lm targets: promptLength: 65 positions do not fit');
      expect(lm?.message).toContain('give at most 64');
    } finally {
      model.dispose();
    }
  });
});
