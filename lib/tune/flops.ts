// FLOPs of one row-step of soft-prompt search, for the roofline figures in bench/: forward over
// the prompt positions (the last block and the LM head on the last position only), the
// input-gradient backward (as many FLOPs as the forward's GEMMs: no weight gradients), and the
// fused KL (a few FLOPs per vocabulary entry, counted as 6).
import type { ModelInfo } from '../model/model.js';

export function flopsPerRowStep(info: ModelInfo, positions: number): number {
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
  forward += 2 * d * c.vocabSize;
  return 2 * forward + 6 * c.vocabSize;
}
