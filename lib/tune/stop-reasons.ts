// Why a row stopped. The native tuner reports a code per row: its index in NATIVE_STOP_REASONS,
// which is the order of the StopReason enum in native/tune/tuner.h (a test compares the two).
// 'aborted' never comes from the tuner: it is a row the caller stopped before it finished.

/** The native enum's names, in its order: code i means NATIVE_STOP_REASONS[i]. */
export const NATIVE_STOP_REASONS = ['running', 'patience', 'budget', 'diverged', 'converged', 'stalled'] as const;

/** Every reason a tune() row can carry. */
export const STOP_REASONS = [...NATIVE_STOP_REASONS, 'aborted'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** The reasons a finished result row can carry: all but 'running'. */
export type RecordStopReason = Exclude<StopReason, 'running'>;
export const RECORD_STOP_REASONS: readonly RecordStopReason[] = STOP_REASONS.filter(
  (r): r is RecordStopReason => r !== 'running',
);
