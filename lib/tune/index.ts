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
  type TuneSettings,
} from '../spec/tune-options.js';
export { STOP_REASONS, type StopReason } from './stop-reasons.js';
export { type TuneRecord } from './record.js';
export { rowSeed } from '../ids/rows.js';
export { autoBatchSize, cpuBatchCap } from './batch-size.js';
export { availableDeviceBytes, bytesPerRow, freeDeviceBytes } from '../model/memory.js';
