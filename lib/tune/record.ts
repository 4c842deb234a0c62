// What tune() returns for each row (one target × one init × one method).
import type { StopReason } from './stop-reasons.js';

export interface TuneRecord {
  rowId: string;
  targetIndex: number;
  targetId: string;
  initId: number;
  seed: number;
  method: 'soft' | 'hard' | 'hybrid';
  pattern: string;
  candidates: number;
  prefixLength: number;
  /** the minimum KL(target || model) reached on the trajectory, nats */
  klNats: number;
  /** epoch (0 = the initial prompt) at which that minimum was reached */
  bestEpoch: number;
  epochs: number;
  /** never 'running': a row harvested while still running was cut short ('aborted') */
  stopReason: Exclude<StopReason, 'running'>;
  /** entropy of the model's next-token distribution at the best prompt */
  modelEntropyBits: number;
  /**
   * the largest |logit| of the model at the best prompt: a logit computed in bfloat16 or float16
   * is off by up to a relative rounding step, so this bounds how far rounding moved klNats
   */
  maxAbsLogit: number;
  /** entropy of the target as given (a synthesised target's achieved entropy, not the grid value) */
  targetEntropyBits: number;
  /** token ids of the best prompt, -1 at soft positions */
  promptIds: Int32Array;
  /** token ids where the search stopped (differs from promptIds when it wandered past its best) */
  finalIds: Int32Array;
  /** hard positions decoded (soft positions shown as ⟨soft⟩); null without a tokenizer */
  promptText: string | null;
  /** prefixLength×hidden soft embeddings of the best prompt, when asked for */
  softPrompt: Float32Array | null;
  wallMs: number;
}
