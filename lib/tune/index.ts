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
export { rowSeed } from '../ids/rows.js';
export { autoBatchSize, cpuBatchCap } from './batch-size.js';
export { availableDeviceBytes, bytesPerRow, freeDeviceBytes } from '../model/memory.js';
