// Hostile config.json values and sizes: each is refused before anything is allocated, naming the
// config.json key (never an internal field), and a model that cannot fit is refused within a few
// MB (the process's peak memory) with the size asked for and what is free.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadModel } from '../lib/index.js';
import { configFromHf } from '../lib/model/config.js';
import { native } from '../lib/native/index.js';
import { checkModelFits } from '../lib/model/size-check.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('config');

const GPT2 = {
  model_type: 'gpt2',
  vocab_size: 1000,
  n_embd: 32,
  n_layer: 2,
  n_head: 2,
  n_positions: 64,
  initializer_range: 0.02,
};
const LLAMA = {
  model_type: 'llama',
  vocab_size: 1000,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rope_theta: 500000,
  rope_scaling: {
    rope_type: 'llama3',
    factor: 32,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 8192,
  },
};
const QWEN2 = { ...LLAMA, model_type: 'qwen2', rope_scaling: undefined };
const FALCON = {
  model_type: 'falcon',
  vocab_size: 1000,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
};

let n = 0;
/** A random twin's directory holding this config.json. */
function twin(config: object): string {
  const d = join(dir, `m${n++}`);
  mkdirSync(d);
  // '1e400' in quotes becomes the JSON number 1e400, which JSON.parse reads as Infinity.
  writeFileSync(join(d, 'config.json'), JSON.stringify(config).replace('"1e400"', '1e400'));
  return `random:${d}`;
}

describe('config values that give NaN logits or that transformers refuses', () => {
  const cases: Array<[string, object, RegExp]> = [
    ['layer_norm_epsilon -1', { ...GPT2, layer_norm_epsilon: -1 }, /'layer_norm_epsilon' must be a number above 0/],
    ['rms_norm_eps -1', { ...LLAMA, rms_norm_eps: -1 }, /'rms_norm_eps' must be a number above 0/],
    ['initializer_range 1e300', { ...GPT2, initializer_range: 1e300 }, /'initializer_range' must be a number from 0/],
    ['rope_theta 0', { ...LLAMA, rope_theta: 0 }, /'rope_theta' must be a number above 0/],
    [
      'rope_theta -1',
      { ...LLAMA, rope_theta: -1 },
      /'rope_theta' must be a number above 0 \(the rotary base\), got -1/,
    ],
    [
      'linear factor 0',
      { ...LLAMA, rope_scaling: { rope_type: 'linear', factor: 0 } },
      /'rope_scaling.factor' must be a number above 0, got 0/,
    ],
    [
      'llama3 low = high',
      { ...LLAMA, rope_scaling: { ...LLAMA.rope_scaling, low_freq_factor: 4 } },
      /'rope_scaling.high_freq_factor' \(4\) must be above 'rope_scaling.low_freq_factor' \(4\)/,
    ],
    ['rope_scaling a string', { ...LLAMA, rope_scaling: 'linear' }, /'rope_scaling' must be an object/],
    ['scale_attn_weights 0', { ...GPT2, scale_attn_weights: 0 }, /'scale_attn_weights' must be true or false, got 0/],
    [
      'reorder_and_upcast_attn "yes"',
      { ...GPT2, reorder_and_upcast_attn: 'yes' },
      /'reorder_and_upcast_attn' must be true or false/,
    ],
    [
      'activation_function null',
      { ...GPT2, activation_function: null },
      /'activation_function' must be the name of an activation, got null/,
    ],
    // transformers takes a truthy value as true: read as false, these would run another model
    ['alibi 1', { ...FALCON, alibi: 1 }, /'alibi' must be true or false, got 1/],
    ['alibi true', { ...FALCON, alibi: true }, /falcon with alibi=true is not supported/],
    ['use_sliding_window "yes"', { ...QWEN2, use_sliding_window: 'yes' }, /'use_sliding_window' must be true or false/],
    ['use_sliding_window true', { ...QWEN2, use_sliding_window: true }, /use_sliding_window=true is not supported/],
    // written as the number 1e400 in the file (see twin)
    ['n_embd 1e400', { ...GPT2, n_embd: '1e400' }, /'n_embd' must be a finite number, got Infinity/],
  ];
  for (const [name, config, message] of cases) {
    it(`${name}: refused naming the key`, async () => {
      const error = await loadModel(twin(config)).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.name).toBe('ModelConfigError');
      expect(error?.message).toMatch(message);
    });
  }
  it('n_embd 1e400 written as JSON text is reported as Infinity, not null', () => {
    const text = JSON.stringify(GPT2).replace('"n_embd":32', '"n_embd":1e400');
    expect(() => configFromHf(JSON.parse(text))).toThrow(/'n_embd' must be a finite number, got Infinity/);
  });
});

describe('shape errors name the config.json key, not the internal field', () => {
  const cases: Array<[object, RegExp]> = [
    [{ ...GPT2, n_layer: 2.5 }, /'n_layer' must be a positive integer, got 2.5/],
    [{ ...GPT2, n_layer: 0 }, /'n_layer' must be a positive integer/],
    [{ ...GPT2, n_head: 3 }, /'n_embd' \(32\) must be a multiple of 'n_head' \(3\)/],
    [{ ...GPT2, vocab_size: -5 }, /'vocab_size' must be a positive integer/],
    [{ ...GPT2, vocab_size: 2 ** 31 }, /'vocab_size' \(2147483648\) must be below 2\^31: token ids are 32-bit/],
    [{ ...LLAMA, num_key_value_heads: 3 }, /'num_attention_heads' \(4\) must be a multiple of 'num_key_value_heads'/],
    [{ ...LLAMA, intermediate_size: 0 }, /'intermediate_size' must be a positive integer/],
  ];
  for (const [config, message] of cases) {
    it(String(message), () => {
      let error: Error | undefined;
      try {
        configFromHf(config);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toMatch(/\b(layers|hiddenSize|vocabSize|heads|kvHeads|intermediateSize)\b/);
    });
  }
});

/** The process's peak resident memory so far: it never falls, so a refused allocation still shows. */
const peakRssMB = () => process.resourceUsage().maxRSS / 1024;

describe('sizes are checked before anything is allocated', () => {
  // The addon's first load (libtorch, ~100 MB) is start-up, not what is measured.
  beforeAll(() => void native().buildInfo());
  const big: Array<[string, object, RegExp]> = [
    ['n_layer 10^9', { ...GPT2, n_layer: 1e9 }, /'n_layer' 1000000000 layers/],
    ['n_embd 10^6', { ...GPT2, n_embd: 1e6, n_head: 1 }, /'n_embd' 1000000/],
    ['vocab_size 2^31 - 1', { ...GPT2, vocab_size: 2 ** 31 - 1 }, /'vocab_size' 2147483647/],
    [
      'a 70B-class Llama',
      {
        ...LLAMA,
        hidden_size: 8192,
        intermediate_size: 28672,
        num_hidden_layers: 80,
        num_attention_heads: 64,
        num_key_value_heads: 8,
        vocab_size: 128256,
      },
      /'num_hidden_layers' 80 layers/,
    ],
  ];
  for (const [name, config, message] of big) {
    it(`${name}: refused within a few MB, naming the key and both sizes`, async () => {
      const model = twin(config);
      const peak = peakRssMB();
      const error = await loadModel(model).then(
        () => undefined,
        (e: Error) => e,
      );
      const grewMB = peakRssMB() - peak;
      console.log(`${name}: refused, peak rss +${grewMB.toFixed(1)} MB: ${error?.message}`);
      expect(error?.name).toBe('ModelConfigError');
      expect(error?.message).toMatch(message);
      expect(error?.message).toMatch(
        /need \d[\d.]* [KMGTPE]?B .*more than the \d[\d.]* [KMGTPE]?B of memory free on cpu/,
      );
      expect(grewMB).toBeLessThan(20);
    });
  }

  it("distprompt's CPU memory cap counts as the memory available", async () => {
    native().setCpuMemoryLimit(64 * 2 ** 20);
    try {
      const error = await loadModel('random:gpt2').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(
        /weights need 4\d\d MB .* more than the (6[0-4]|[1-5]\d)\.?\d* MB of memory free on cpu/,
      );
    } finally {
      native().setCpuMemoryLimit(0);
    }
  });

  it('a batch that does not fit beside the weights names the spec field', () => {
    const config = configFromHf(GPT2);
    expect(() =>
      checkModelFits(config, {
        device: 'cpu',
        dtype: 'float32',
        free: 50 * 2 ** 20,
        rows: { rows: 100_000, positions: 5, candidates: 1, field: 'batchSize' },
      }),
    ).toThrow(
      /100000 rows at once \(batchSize; .* per row\) need .* more than the 50.0 MB of memory free on cpu: lower batchSize/,
    );
  });

  it('a plan of more rows than the limit is refused before it is built, naming the field', () => {
    // Built first, the grid alone would be 156 million numbers (over a GB) and the rows 5 million.
    const peak = peakRssMB();
    const entropy = parseSpec({
      model: 'random:micro',
      targets: [{ kind: 'vanilla', entropyBits: '0:max:0.0000001' }],
      output: join(dir, 'x.arrow'),
    });
    expect(() => planSweep(entropy, 50257)).toThrow(
      /targets\[0\]\.entropyBits: '0:max:0.0000001' makes 156,\d{3},\d{3} entropies/,
    );
    expect(() => parseSpec({ model: 'random:micro', inits: 1e9, output: join(dir, 'x.arrow') })).toThrow(
      /inits: must be at most 1,000,000/,
    );
    const many = parseSpec({
      model: 'random:micro',
      targets: [{ kind: 'vanilla', entropyBits: '0:max:0.001' }],
      inits: 500,
      output: join(dir, 'x.arrow'),
    });
    expect(() => planSweep(many, 1000)).toThrow(
      /inits: 9,967 targets × \d+ methods × 500 inits make [\d,]+ rows, more than the 1,000,000/,
    );
    expect(peakRssMB() - peak).toBeLessThan(100);
  });
});
