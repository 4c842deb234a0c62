// One result row: one (target, init, method) run as the tuner reports it, plus the metadata of
// the target it ran on, so every row can be traced to how its target was made.
import type { TuneRecord } from '../tune/record.js';
import type { BottleneckStatus } from '../native/types-bound.js';
import type { RecordStopReason } from '../tune/stop-reasons.js';

/** A stored row's stop reason: one of the tuner's (lib/tune/stop-reasons.ts), never 'running'. */
export type StopReason = RecordStopReason;
export { RECORD_STOP_REASONS as STOP_REASONS } from '../tune/stop-reasons.js';

/**
 * A tune() record as the results file keeps it: the same fields (documented on TuneRecord), less
 * what only the live run has (target index, seed, final ids, the logits' size that set the bound
 * guard's slack), plus the target's metadata.
 */
export interface RunRecord extends Omit<
  TuneRecord,
  'targetIndex' | 'seed' | 'finalIds' | 'maxAbsLogit' | 'stopReason' | 'promptIds' | 'promptText' | 'softPrompt'
> {
  targetKind: string;
  /** a results file holds finished rows only: no 'running' */
  stopReason: StopReason;
  /** The grid value asked for (vanilla, outlier); null for kinds without one. */
  requestedEntropyBits?: number | null;
  /** Token ids of the best prompt's hard positions (soft positions hold -1). */
  promptIds?: ArrayLike<number> | null;
  /** Decoded text of the hard positions. */
  promptText?: string | null;
  /** Best soft embeddings, prefixLength × hidden, row-major (only when requested). */
  softPrompt?: ArrayLike<number> | null;
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
  // The head bound of the row's target (lib/bound), null with --no-bound.
  /** the ball bound: min KL over the ball every output of the final norm lies in; no prompt goes below it less its certificate */
  headBoundNats?: number | null;
  /** its certificate: the true minimum lies in [headBoundNats − headBoundGapNats, headBoundNats] */
  headBoundGapNats?: number | null;
  /** min KL over the norm's sphere, where outputs lie for any prompt a model reads (≥ the ball bound) */
  sphereBoundNats?: number | null;
  /** starts of the sphere search that reached it; 0 where the ball's optimum is on the sphere */
  sphereStarts?: number | null;
  /** the gradient's norm along the sphere at its optimum */
  sphereResidual?: number | null;
  /** the softmax bottleneck alone (no norm): its minimum or its limit; null when not converged */
  bottleneckBoundNats?: number | null;
  /** false: the bottleneck search met neither a minimum nor a limit, and no value is reported */
  bottleneckConverged?: boolean | null;
  /** 'minimum', 'limit' (approached as the hidden state grows without end) or 'unconverged' */
  bottleneckStatus?: BottleneckStatus | null;
  /** klNats − sphereBoundNats (klNats − headBoundNats in files of schema version 2) */
  bodyGapNats?: number | null;
  /** klNats below the head bound by more than its slack: a bug (weights, norm or dtype), not a finding */
  belowHeadBound?: boolean | null;
}

/** What readers hand back: every optional field present, lists as plain arrays. */
export type StoredRunRecord = {
  [K in keyof RunRecord]-?: RunRecord[K] extends ArrayLike<number> | null | undefined
    ? K extends 'promptIds' | 'softPrompt' | 'lmPromptIds'
      ? number[] | null
      : Exclude<RunRecord[K], undefined>
    : Exclude<RunRecord[K], undefined>;
};
