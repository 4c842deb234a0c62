// The values of a config.json that transformers would refuse or that give NaN logits, named by
// their config.json key; and, for the mapped configuration, which config.json key each native
// field comes from, so every message names what the user can edit.
import type { NativeModelConfig } from '../native/types-model.js';
import { ModelConfigError } from './config-error.js';

type Json = Record<string, unknown>;
type Family = NativeModelConfig['family'];

/** A value as the user wrote it: JSON.stringify turns 1e400 (Infinity) into "null". */
export const shown = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));

/** The config.json key each size field of the native configuration is read from, per family. */
const KEYS: Record<Family, Partial<Record<keyof NativeModelConfig, string>>> = {
  gpt2: {
    vocabSize: 'vocab_size',
    hiddenSize: 'n_embd',
    layers: 'n_layer',
    heads: 'n_head',
    kvHeads: 'n_head',
    headDim: 'n_embd / n_head',
    intermediateSize: 'n_inner',
    maxPositions: 'n_positions',
  },
  llama: {
    vocabSize: 'vocab_size',
    hiddenSize: 'hidden_size',
    layers: 'num_hidden_layers',
    heads: 'num_attention_heads',
    kvHeads: 'num_key_value_heads',
    headDim: 'head_dim',
    intermediateSize: 'intermediate_size',
    maxPositions: 'max_position_embeddings',
  },
  qwen2: {},
  falcon: {
    vocabSize: 'vocab_size',
    hiddenSize: 'hidden_size',
    layers: 'num_hidden_layers',
    heads: 'num_attention_heads',
    kvHeads: 'num_kv_heads',
    headDim: 'hidden_size / num_attention_heads',
    intermediateSize: 'ffn_hidden_size',
    maxPositions: 'max_position_embeddings',
  },
};
KEYS.qwen2 = KEYS.llama;

/** The config.json key a native field of `family` is read from ('n_layer' for gpt2's layers). */
export function configKey(family: Family, field: keyof NativeModelConfig): string {
  return KEYS[family][field] ?? field;
}

const fail = (key: string, value: unknown, must: string): never => {
  throw new ModelConfigError(`config.json: '${key}' ${must}, got ${shown(value)}`);
};

/** A number at `key` (when present) that must satisfy `ok`. */
function numberAt(c: Json, key: string, ok: (x: number) => boolean, must: string, where = key): void {
  const v = c[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(where, v, must);
}

function boolAt(c: Json, key: string): void {
  const v = c[key];
  if (v !== undefined && typeof v !== 'boolean') fail(key, v, 'must be true or false');
}

/** The widest initializer_range accepted: wider weights overflow float32 activations to Inf/NaN. */
export const MAX_INITIALIZER_RANGE = 10;

/**
 * Keys whose values transformers refuses, or which make every logit NaN, checked before anything
 * is built: norm epsilons, the initialiser's width, rotary settings, flags that must be booleans.
 */
export function checkConfigValues(c: Json): void {
  for (const key of ['layer_norm_epsilon', 'rms_norm_eps'])
    numberAt(c, key, (x) => x > 0 && x < 1, 'must be a number above 0 and below 1 (the norm divides by it)');
  numberAt(
    c,
    'initializer_range',
    (x) => x >= 0 && x <= MAX_INITIALIZER_RANGE,
    `must be a number from 0 to ${MAX_INITIALIZER_RANGE} (wider random weights overflow to Inf and NaN)`,
  );
  numberAt(c, 'rope_theta', (x) => x > 0, 'must be a number above 0 (the rotary base)');
  for (const key of ['scale_attn_weights', 'reorder_and_upcast_attn', 'scale_attn_by_inverse_layer_idx'])
    boolAt(c, key);
  for (const key of ['activation_function', 'hidden_act', 'activation']) {
    if (key in c && typeof c[key] !== 'string') fail(key, c[key], 'must be the name of an activation');
  }
  const params = c.rope_parameters;
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object' || Array.isArray(params)) fail('rope_parameters', params, 'must be an object');
    numberAt(params as Json, 'rope_theta', (x) => x > 0, 'must be a number above 0', 'rope_parameters.rope_theta');
  }
  const rope = params ?? c.rope_scaling;
  const ropeKey = params !== undefined && params !== null ? 'rope_parameters' : 'rope_scaling';
  if (rope === undefined || rope === null) return;
  if (typeof rope !== 'object' || Array.isArray(rope))
    fail(ropeKey, rope, 'must be an object such as {"rope_type": "linear", "factor": 2}');
  const r = rope as Json;
  const at = (k: string) => `${ropeKey}.${k}`;
  numberAt(r, 'factor', (x) => x > 0, 'must be a number above 0', at('factor'));
  numberAt(
    r,
    'original_max_position_embeddings',
    (x) => Number.isInteger(x) && x > 0,
    'must be a positive integer',
    at('original_max_position_embeddings'),
  );
  for (const k of ['low_freq_factor', 'high_freq_factor']) numberAt(r, k, (x) => x > 0, 'must be above 0', at(k));
  const type = r.rope_type ?? r.type;
  if (type === 'llama3' && typeof r.low_freq_factor === 'number' && typeof r.high_freq_factor === 'number') {
    if (!(r.high_freq_factor > r.low_freq_factor))
      throw new ModelConfigError(
        `config.json: '${at('high_freq_factor')}' (${r.high_freq_factor}) must be above '${at('low_freq_factor')}' (${r.low_freq_factor}): llama3 rotary scaling divides by their difference`,
      );
  }
}

/** The mapped configuration's sizes, each named by the config.json key it came from. */
export function checkShapes(cfg: NativeModelConfig): void {
  const key = (f: keyof NativeModelConfig) => configKey(cfg.family, f);
  const bad = (m: string): never => {
    throw new ModelConfigError(`config.json (${cfg.family}): ${m}`);
  };
  for (const k of ['vocabSize', 'hiddenSize', 'layers', 'heads', 'kvHeads', 'intermediateSize'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) bad(`'${key(k)}' must be a positive integer, got ${shown(cfg[k])}`);
  }
  // Token ids are 32-bit integers everywhere they are held (prompts, HotFlip's candidates, records).
  if (cfg.vocabSize > 2 ** 31 - 1)
    bad(`'${key('vocabSize')}' (${cfg.vocabSize}) must be below 2^31: token ids are 32-bit integers here`);
  if (!Number.isInteger(cfg.headDim) || cfg.headDim <= 0) {
    bad(
      cfg.family === 'llama' || cfg.family === 'qwen2'
        ? `'head_dim' (or hidden_size / num_attention_heads = ${cfg.hiddenSize} / ${cfg.heads}) must be a positive integer, got ${shown(cfg.headDim)}`
        : `'${key('hiddenSize')}' (${cfg.hiddenSize}) must be a multiple of '${key('heads')}' (${cfg.heads})`,
    );
  }
  if (cfg.heads % cfg.kvHeads !== 0)
    bad(`'${key('heads')}' (${cfg.heads}) must be a multiple of '${key('kvHeads')}' (${cfg.kvHeads})`);
  if (cfg.headDim % 2 !== 0) bad(`the head width ${key('headDim')} (${cfg.headDim}) must be even`);
  if (!Number.isInteger(cfg.maxPositions) || cfg.maxPositions <= 0)
    bad(`'${key('maxPositions')}' must be a positive integer, got ${shown(cfg.maxPositions)}`);
}
