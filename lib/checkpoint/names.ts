// The tensor names a model of a given config reads, family by family, as the loaders in
// native/model/transformer.cc read them. Only these tensors are handed to the native loader, so
// a name missing here fails every load of that family (the golden fixtures would show it at
// once) instead of drifting silently. Also the names a family knows but this config does not
// read (a bias the config turns off, the other norm layout): stored anyway, they mean the
// config is not the checkpoint's.
import type { NativeModelConfig } from '../native/types-model.js';

/** required: must be stored; optional: read when stored; unread: a weight this config ignores */
export type TensorRole = 'required' | 'optional' | 'unread';

export function tensorRoles(c: NativeModelConfig, has: (name: string) => boolean): Map<string, TensorRole> {
  const roles = new Map<string, TensorRole>();
  const need = (name: string, used = true) => roles.set(name, used ? 'required' : 'unread');
  const linear = (p: string, bias: boolean) => {
    need(`${p}.weight`);
    need(`${p}.bias`, bias);
  };
  // GPT-2's and Falcon's norms have a bias, Llama's and Qwen's none (as the native loaders).
  const withBias = c.family === 'gpt2' || c.family === 'falcon';
  const norm = (p: string, used = true) => {
    need(`${p}.weight`, used);
    if (withBias) need(`${p}.bias`, used);
  };
  const prefix = layerPrefix(c, has);
  if (c.family === 'gpt2') {
    const p = prefix.slice(0, -'h.'.length);
    need(`${p}wte.weight`);
    need(`${p}wpe.weight`);
    for (let i = 0; i < c.layers; i++) {
      const b = `${prefix}${i}.`;
      norm(`${b}ln_1`);
      norm(`${b}ln_2`);
      for (const l of ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj']) linear(b + l, true);
    }
    norm(`${p}ln_f`);
    // Tied, a stored lm_head is the embedding again (transformers ties it over whatever is stored).
    if (!c.tiedEmbeddings) need('lm_head.weight');
  } else if (c.family === 'llama' || c.family === 'qwen2') {
    need('model.embed_tokens.weight');
    for (let i = 0; i < c.layers; i++) {
      const b = `${prefix}${i}.`;
      norm(`${b}input_layernorm`);
      norm(`${b}post_attention_layernorm`);
      for (const x of ['q', 'k', 'v']) linear(`${b}self_attn.${x}_proj`, c.qkvBias);
      linear(`${b}self_attn.o_proj`, c.attnOutBias);
      for (const x of ['gate', 'up', 'down']) linear(`${b}mlp.${x}_proj`, c.mlpBias);
    }
    norm('model.norm');
    roles.set('lm_head.weight', c.tiedEmbeddings ? 'optional' : 'required');
  } else if (c.family === 'falcon') {
    need('transformer.word_embeddings.weight');
    const twoNorms = c.parallelBlock && c.blockNorms === 2;
    for (let i = 0; i < c.layers; i++) {
      const b = `${prefix}${i}.`;
      norm(`${b}ln_attn`, twoNorms);
      norm(`${b}ln_mlp`, twoNorms);
      norm(`${b}input_layernorm`, !twoNorms);
      norm(`${b}post_attention_layernorm`, !twoNorms && !c.parallelBlock);
      linear(`${b}self_attention.query_key_value`, c.qkvBias);
      linear(`${b}self_attention.dense`, c.attnOutBias);
      linear(`${b}mlp.dense_h_to_4h`, c.mlpBias);
      linear(`${b}mlp.dense_4h_to_h`, c.mlpBias);
    }
    norm('transformer.ln_f');
    roles.set('lm_head.weight', 'optional');
  }
  return roles;
}

/** Where the family's numbered blocks live: names under it carry a layer index. */
export function layerPrefix(c: NativeModelConfig, has: (name: string) => boolean): string {
  if (c.family === 'gpt2') return has('transformer.wte.weight') ? 'transformer.h.' : 'h.';
  if (c.family === 'falcon') return 'transformer.h.';
  return 'model.layers.';
}

/** The layer index of a name under the family's blocks (`model.layers.7.…` → 7), else undefined. */
export function layerIndex(prefix: string, name: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(\d+)\./.exec(name.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}
