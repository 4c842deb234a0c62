// FLOPs of the tuner's work, for the roofline figures in bench/: a forward counts its GEMMs (the
// last block and the LM head on the last position only) and attention against every key (an
// upper bound: causal attention does about half); an input-gradient backward counts as many
// FLOPs as its forward's GEMMs (no weight gradients); the fused KL a few FLOPs per vocabulary
// entry, counted as 6.
import type { ModelInfo } from '../model/model.js';

type Config = ModelInfo['config'];

/** One forward of `queries` positions that attend to `keys` keys; `head`: with the LM head. */
function forwardOf(c: Config, queries: number, keys: number, head = true): number {
  const d = c.hiddenSize;
  const hd = c.headDim;
  const qkv = d * (c.heads + 2 * c.kvHeads) * hd;
  const out = c.heads * hd * d;
  const mlp = d * c.intermediateSize * (c.gatedMlp ? 3 : 2);
  const attention = (q: number) => 2 * 2 * q * keys * c.heads * hd; // scores + weighted sum
  let flops = 0;
  for (let layer = 0; layer < c.layers; layer++) {
    const q = layer === c.layers - 1 ? 1 : queries;
    flops += 2 * queries * qkv + 2 * q * (out + mlp) + attention(q);
  }
  return flops + (head ? 2 * d * c.vocabSize : 0);
}

/** Forward, input-gradient backward and fused KL of `queries` positions after `keys - queries` cached ones. */
function stepFlops(c: Config, queries: number, keys: number): number {
  return 2 * forwardOf(c, queries, keys) + 6 * c.vocabSize;
}

/** One row-step of soft-prompt search over `positions` positions. */
export function flopsPerRowStep(info: ModelInfo, positions: number): number {
  return stepFlops(info.config, positions, positions);
}

export interface PositionalEpoch {
  /** one letter per searched position: H hard, S soft */
  pattern: string;
  /** HotFlip k: k > 1 evaluates k candidates with a forward each */
  candidates: number;
  /** fixed context positions before and after the prompt */
  before?: number;
  after?: number;
  /** each step starts from the cached keys/values of the positions before it (tune's prefixCache) */
  prefixCache: boolean;
}

/**
 * One row-epoch of hard or hybrid search: per searched position a forward + backward (from that
 * position on with the prefix cache, else over the whole sequence), HotFlip's scores over the
 * vocabulary at a hard position and, for k > 1, k candidate forwards; with the cache, one more
 * single-position forward after each update (except the last) to grow it. The context before the
 * prompt is cached once per run and not counted.
 */
export function flopsPerPositionalEpoch(info: ModelInfo, o: PositionalEpoch): number {
  const c = info.config;
  const before = o.before ?? 0;
  const L = o.pattern.length;
  const total = before + L + (o.after ?? 0);
  let flops = 0;
  for (let j = 0; j < L; j++) {
    const queries = o.prefixCache ? total - before - j : total;
    flops += stepFlops(c, queries, total);
    if (o.pattern[j] === 'H') {
      flops += 2 * c.vocabSize * c.hiddenSize;
      if (o.candidates > 1) flops += o.candidates * (forwardOf(c, queries, total) + 6 * c.vocabSize);
    }
    if (o.prefixCache && j + 1 < L) flops += forwardOf(c, 1, before + j + 1, false);
  }
  return flops;
}

/** One forward over `positions` prompt positions to the last position's logits. */
export function forwardFlops(info: ModelInfo, positions: number): number {
  return forwardOf(info.config, positions, positions);
}

/**
 * One row-epoch of a method as the tuner runs it: soft, one row-step; hard and hybrid, the
 * positional epoch (with the prefix cache unless `prefixCache` is false).
 */
export function flopsPerRowEpoch(info: ModelInfo, pattern: string, candidates: number, prefixCache = true): number {
  if (!pattern.includes('H')) return flopsPerRowStep(info, pattern.length);
  return flopsPerPositionalEpoch(info, { pattern, candidates, prefixCache });
}
