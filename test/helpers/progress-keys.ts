// The keys of a --json progress line after its label (and a study's place), in their order: the
// README's list, held by the tests of that output.
export const PROGRESS_COUNT_KEYS = [
  'rowsDone',
  'rowsTotal',
  'rowsResumed',
  'batchSize',
  'rowStepsPerSecond',
  'meanBestKlNats',
  'elapsedMs',
  'maxEpochs',
] as const;
