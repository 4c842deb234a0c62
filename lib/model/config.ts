// Hugging Face config.json -> the one NativeModelConfig the C++ Transformer runs from.
// Each family is a small function: which keys it uses, what its defaults are in transformers,
// and which options we refuse (with the list of what is supported) rather than get wrong.
import type { NativeModelConfig } from '../native/types-model.js';
import { checkConfigValues, checkShapes, shown } from './config-checks.js';
import { ModelConfigError } from './config-error.js';

export { ModelConfigError };

export const SUPPORTED_MODEL_TYPES = ['gpt2', 'llama', 'qwen2', 'falcon'] as const;

type Json = Record<string, unknown>;
/** What a family's mapping decides; initStd is the same key for every family. */
type FamilyConfig = Omit<NativeModelConfig, 'initStd'>;

/** c[key] as a number; `within` names the object c is inside config.json ('rope_scaling'). */
function num(c: Json, key: string, fallback?: number, within?: string): number {
  const v = c[key];
  const name = within ? `${within}.${key}` : key;
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new ModelConfigError(`config.json: missing '${name}'`);
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ModelConfigError(`config.json: '${name}' must be a finite number, got ${shown(v)}`);
  return v;
}

function bool(c: Json, key: string, fallback: boolean): boolean {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean')
    throw new ModelConfigError(`config.json: '${key}' must be true or false, got ${shown(v)}`);
  return v;
}

// transformers 4 writes rope_theta + rope_scaling; transformers 5 writes one rope_parameters
// object holding rope_theta and the scaling keys. Read either.
function ropeTheta(c: Json, fallback: number): number {
  const p = c.rope_parameters as Json | null | undefined;
  if (p && p.rope_theta !== undefined) return num(p, 'rope_theta', undefined, 'rope_parameters');
  return num(c, 'rope_theta', fallback);
}

function ropeScaling(c: Json): NativeModelConfig['ropeScaling'] {
  const r = (c.rope_parameters ?? c.rope_scaling) as Json | null | undefined;
  if (!r) return { type: 'none', factor: 1 };
  const within = c.rope_parameters ? 'rope_parameters' : 'rope_scaling';
  const type = (r.rope_type ?? r.type ?? 'default') as string;
  if (type === 'default') return { type: 'none', factor: 1 };
  if (type === 'linear') return { type: 'linear', factor: num(r, 'factor', undefined, within) };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: num(r, 'factor', undefined, within),
      lowFreqFactor: num(r, 'low_freq_factor', undefined, within),
      highFreqFactor: num(r, 'high_freq_factor', undefined, within),
      originalMaxPositions: num(r, 'original_max_position_embeddings', undefined, within),
    };
  }
  throw new ModelConfigError(
    `config.json: rope_scaling type '${type}' is not supported (supported: default, linear, llama3)`,
  );
}

function gpt2(c: Json): FamilyConfig {
  const d = num(c, 'n_embd');
  const heads = num(c, 'n_head');
  const act = (c.activation_function as string) ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu')
    throw new ModelConfigError(`config.json: gpt2 activation_function '${act}' is not supported (gelu_new, gelu)`);
  if (c.scale_attn_weights === false)
    throw new ModelConfigError('config.json: gpt2 with scale_attn_weights=false is not supported');
  return {
    family: 'gpt2',
    vocabSize: num(c, 'vocab_size'),
    hiddenSize: d,
    layers: num(c, 'n_layer'),
    heads,
    kvHeads: heads,
    headDim: d / heads,
    intermediateSize: num(c, 'n_inner', 4 * d),
    maxPositions: num(c, 'n_positions'),
    norm: 'layernorm',
    normEps: num(c, 'layer_norm_epsilon', 1e-5),
    position: 'learned',
    ropeTheta: 0,
    activation: act,
    gatedMlp: false,
    parallelBlock: false,
    blockNorms: 2,
    qkvBias: true,
    attnOutBias: true,
    mlpBias: true,
    tiedEmbeddings: bool(c, 'tie_word_embeddings', true),
    scaleAttnByInverseLayerIdx: bool(c, 'scale_attn_by_inverse_layer_idx', false),
    qkvLayout: 'gpt2',
  };
}

function llamaLike(c: Json, family: 'llama' | 'qwen2'): FamilyConfig {
  const d = num(c, 'hidden_size');
  const heads = num(c, 'num_attention_heads');
  const act = (c.hidden_act as string) ?? 'silu';
  if (act !== 'silu') throw new ModelConfigError(`config.json: ${family} hidden_act '${act}' is not supported (silu)`);
  // Read as booleans: transformers takes any truthy value (1, "yes") as true, so one taken here as
  // false would run a model other than the one its config describes.
  if (family === 'qwen2' && bool(c, 'use_sliding_window', false)) {
    throw new ModelConfigError(
      'config.json: qwen2 with use_sliding_window=true is not supported (prompts are short; set it false)',
    );
  }
  const bias = family === 'qwen2' ? true : bool(c, 'attention_bias', false);
  return {
    family,
    vocabSize: num(c, 'vocab_size'),
    hiddenSize: d,
    layers: num(c, 'num_hidden_layers'),
    heads,
    kvHeads: num(c, 'num_key_value_heads', heads),
    headDim: num(c, 'head_dim', d / heads),
    intermediateSize: num(c, 'intermediate_size'),
    maxPositions: num(c, 'max_position_embeddings', 2048),
    norm: 'rmsnorm',
    normEps: num(c, 'rms_norm_eps', 1e-6),
    position: 'rope',
    ropeTheta: ropeTheta(c, 10000),
    ropeScaling: ropeScaling(c),
    activation: 'silu',
    gatedMlp: true,
    parallelBlock: false,
    blockNorms: 2,
    qkvBias: bias,
    // Qwen2 has biases on q/k/v only; Llama's attention_bias covers o_proj too.
    attnOutBias: family === 'llama' ? bias : false,
    mlpBias: family === 'llama' ? bool(c, 'mlp_bias', false) : false,
    tiedEmbeddings: bool(c, 'tie_word_embeddings', family === 'qwen2'),
    scaleAttnByInverseLayerIdx: false,
    qkvLayout: 'separate',
  };
}

function falcon(c: Json): FamilyConfig {
  if (bool(c, 'alibi', false))
    throw new ModelConfigError('config.json: falcon with alibi=true is not supported (rotary Falcon models only)');
  const d = num(c, 'hidden_size');
  const heads = num(c, 'num_attention_heads');
  const newArch = bool(c, 'new_decoder_architecture', false);
  const multiQuery = bool(c, 'multi_query', true);
  const parallel = bool(c, 'parallel_attn', true);
  // As transformers' FalconAttention: kv heads come from num_kv_heads only for the new
  // architecture or without multi-query; multi-query means one.
  const kvHeads = newArch || !multiQuery ? num(c, 'num_kv_heads', heads) : 1;
  const layout: NativeModelConfig['qkvLayout'] = newArch
    ? 'falcon-grouped'
    : multiQuery
      ? 'falcon-mq'
      : 'falcon-interleaved';
  // New architecture: two norms (ln_attn, ln_mlp) unless num_ln_in_parallel_attn says 1.
  const lnCount = newArch ? num(c, 'num_ln_in_parallel_attn', 2) : 1;
  const act = (c.activation as string) ?? 'gelu';
  if (act !== 'gelu') throw new ModelConfigError(`config.json: falcon activation '${act}' is not supported (gelu)`);
  const bias = bool(c, 'bias', false);
  return {
    family: 'falcon',
    vocabSize: num(c, 'vocab_size'),
    hiddenSize: d,
    layers: num(c, 'num_hidden_layers'),
    heads,
    kvHeads,
    headDim: d / heads,
    intermediateSize: num(c, 'ffn_hidden_size', 4 * d),
    maxPositions: num(c, 'max_position_embeddings', 2048),
    norm: 'layernorm',
    normEps: num(c, 'layer_norm_epsilon', 1e-5),
    position: 'rope',
    ropeTheta: ropeTheta(c, 10000),
    ropeScaling: ropeScaling(c),
    activation: 'gelu',
    gatedMlp: false,
    parallelBlock: newArch || parallel,
    blockNorms: lnCount === 1 ? 1 : newArch ? 2 : 1,
    qkvBias: bias,
    attnOutBias: bias,
    mlpBias: bias,
    tiedEmbeddings: bool(c, 'tie_word_embeddings', true),
    scaleAttnByInverseLayerIdx: false,
    qkvLayout: layout,
  };
}

/** Map a parsed Hugging Face config.json onto the native configuration, or say why not. */
export function configFromHf(raw: unknown): NativeModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ModelConfigError('config.json: not a JSON object');
  const c = raw as Json;
  checkConfigValues(c);
  const type = c.model_type;
  let family: FamilyConfig;
  switch (type) {
    case 'gpt2':
      family = gpt2(c);
      break;
    case 'llama':
      family = llamaLike(c, 'llama');
      break;
    case 'qwen2':
      family = llamaLike(c, 'qwen2');
      break;
    case 'falcon':
    case 'RefinedWeb':
    case 'RefinedWebModel':
      family = falcon(c);
      break;
    default:
      if (type === undefined || type === null)
        throw new ModelConfigError(
          `config.json: no model_type; distprompt loads ${SUPPORTED_MODEL_TYPES.join(', ')} (the config.json of a ` +
            'transformers checkpoint names one)',
        );
      throw new ModelConfigError(
        `config.json: model_type ${typeof type === 'string' ? `'${type}'` : shown(type)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
      );
  }
  const cfg: NativeModelConfig = { ...family, initStd: num(c, 'initializer_range', 0.02) };
  checkShapes(cfg);
  return cfg;
}

export { checkShapes };
