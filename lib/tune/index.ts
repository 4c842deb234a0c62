export {
  tune,
  tokensNotBanned,
  TuneRun,
  type TuneOptions,
  type TuneProgress,
  type TuneRow,
  type TuneRunEvents,
} from './run.js';
export {
  parseTuneOptions,
  SOFT_POSITION_OPTIONS,
  type SoftPositionOption,
  tuneOptionIssues,
  tuneOptionsError,
  TuneOptionsError,
  STOP_REASONS,
  type StopReason,
  type TuneSettings,
} from './options.js';
export { type TuneRecord } from './record.js';
export { rowSeed } from '../sweep/ids.js';
export { autoBatchSize, availableDeviceBytes, bytesPerRow, cpuBatchCap, freeDeviceBytes } from './batch-size.js';
