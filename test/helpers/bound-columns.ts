// The head bound's values a sweep writes into every row of a target, by their results-file names
// (headBoundGapNats is a bound record's gapNats).
export const BOUND_RESULT_COLUMNS = [
  'headBoundNats',
  'headBoundGapNats',
  'sphereBoundNats',
  'sphereStarts',
  'sphereResidual',
  'bottleneckBoundNats',
  'bottleneckStatus',
] as const;
