// One result row: one (target, init, method) run as the tuner reports it, plus the metadata of
// the target it ran on, so every row can be traced to how its target was made.

export type StopReason = 'patience' | 'budget' | 'diverged' | 'aborted' | 'converged';
export const STOP_REASONS: readonly StopReason[] = ['patience', 'budget', 'diverged', 'aborted', 'converged'];

export interface RunRecord {
  rowId: string;
  targetId: string;
  targetKind: string;
  initId: number;
  method: 'soft' | 'hard' | 'hybrid';
  pattern: string;
  candidates: number;
  prefixLength: number;
  /** Minimum KL(target || model) on the trajectory, in nats. */
  klNats: number;
  /** Epoch at which klNats was reached. */
  bestEpoch: number;
  epochs: number;
  stopReason: StopReason;
  /** Entropy of the model's next-token distribution at the best prompt. */
  modelEntropyBits: number;
  /** Achieved entropy of the target as synthesised. */
  targetEntropyBits: number;
  /** The grid value asked for (vanilla, outlier); null for kinds without one. */
  requestedEntropyBits?: number | null;
  /** Token ids of the best prompt's hard positions (soft positions hold -1). */
  promptIds?: ArrayLike<number> | null;
  /** Decoded text of the hard positions. */
  promptText?: string | null;
  /** Best soft embeddings, prefixLength × hidden, row-major (only when requested). */
  softPrompt?: ArrayLike<number> | null;
  wallMs: number;
  shardIndex: number;
  // Target metadata, null where the kind does not have it.
  outliers?: number | null;
  outlierMass?: number | null;
  m?: number | null;
  sourceModel?: string | null;
  shuffleIndex?: number | null;
  posTag?: string | null;
  lmPromptIds?: ArrayLike<number> | null;
  pairedWith?: string | null;
  /** JSON of any other target parameters. */
  targetParams?: string | null;
}

/** What readers hand back: every optional field present, lists as plain arrays. */
export type StoredRunRecord = {
  [K in keyof RunRecord]-?: RunRecord[K] extends ArrayLike<number> | null | undefined
    ? K extends 'promptIds' | 'softPrompt' | 'lmPromptIds'
      ? number[] | null
      : Exclude<RunRecord[K], undefined>
    : Exclude<RunRecord[K], undefined>;
};
