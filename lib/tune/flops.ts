// FLOPs of one row-step of soft-prompt search, for the roofline figures in bench/: forward over
// the prompt positions (the last block and the LM head on the last position only), the
// input-gradient backward (as many FLOPs as the forward's GEMMs: no weight gradients), and the
// fused KL (a few FLOPs per vocabulary entry, counted as 6).
import type { ModelInfo } from '../model/model.js';

/** FLOPs of one forward over `positions` prompt positions to the last position's logits. */
export function forwardFlops(info: ModelInfo, positions: number): number {
  const c = info.config;
  const d = c.hiddenSize;
  const hd = c.headDim;
  const qkv = d * (c.heads + 2 * c.kvHeads) * hd;
  const out = c.heads * hd * d;
  const mlp = d * c.intermediateSize * (c.gatedMlp ? 3 : 2);
  const attention = (p: number, q: number) => 2 * 2 * q * p * c.heads * hd; // scores + weighted sum
  let forward = 0;
  for (let layer = 0; layer < c.layers; layer++) {
    const last = layer === c.layers - 1;
    const q = last ? 1 : positions;
    forward += 2 * positions * qkv + 2 * q * (out + mlp) + attention(positions, q);
  }
  return forward + 2 * d * c.vocabSize;
}

export function flopsPerRowStep(info: ModelInfo, positions: number): number {
  return 2 * forwardFlops(info, positions) + 6 * info.config.vocabSize;
}

/**
 * FLOPs of one row-epoch of a method. Soft: one row-step. Hard and hybrid (the positional epoch,
 * native/tune/tuner.cc): a row-step per position; at each hard position the HotFlip scores (the
 * gradient against the embedding matrix, 2·d·V) and, for k > 1, the true loss of k candidates
 * (a forward and the KL each).
 */
export function flopsPerRowEpoch(info: ModelInfo, pattern: string, candidates: number): number {
  const L = pattern.length;
  const step = flopsPerRowStep(info, L);
  if (!pattern.includes('H')) return step;
  const V = info.config.vocabSize;
  const hard = [...pattern].filter((p) => p === 'H').length;
  const perHard = 2 * info.config.hiddenSize * V + (candidates > 1 ? candidates * (forwardFlops(info, L) + 6 * V) : 0);
  return L * step + hard * perHard;
}
