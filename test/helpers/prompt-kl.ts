// KL(target ‖ model) at a tune record's best prompt, computed afresh: one plain forward over the
// whole sequence (no prefix cache), the KL in float64. What a search that reports `klNats` for
// that prompt must reproduce.
import type { Model } from '../../lib/index.js';
import type { TuneRecord } from '../../lib/tune/index.js';
import { klRow } from './dist.js';

/** The record's prompt between the run's context: its hard ids' embeddings at H, its soft prompt at S. */
export async function klAtPrompt(
  model: Model,
  r: TuneRecord,
  options: { targets: Float32Array; contextBefore?: Int32Array; contextAfter?: Int32Array },
): Promise<number> {
  return klRow(options.targets, r.targetIndex, await logitsAtPrompt(model, r, options), 0, model.info.vocabSize);
}

/** The model's logits (vocab, float32) after the record's prompt, as klAtPrompt places it. */
export async function logitsAtPrompt(
  model: Model,
  r: TuneRecord,
  options: { contextBefore?: Int32Array; contextAfter?: Int32Array } = {},
): Promise<Float32Array> {
  const { hiddenSize: d } = model.info;
  const before = Array.from(options.contextBefore ?? []);
  const after = Array.from(options.contextAfter ?? []);
  const prompt = Array.from(r.promptIds);
  const ids = Int32Array.from([...before, ...prompt.map((x) => Math.max(x, 0)), ...after]);
  const embeds = await model.embed({ ids, rows: 1, positions: ids.length });
  prompt.forEach((id, j) => {
    if (id < 0) embeds.set(r.softPrompt!.subarray(j * d, (j + 1) * d), (before.length + j) * d);
  });
  return model.logits({ embeds, rows: 1, positions: ids.length });
}
