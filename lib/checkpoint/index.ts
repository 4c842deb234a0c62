export { CheckpointError, type CheckpointErrorCode } from './errors.js';
export { readSafetensorsHeader, parseHeader, DTYPE_BYTES, MAX_HEADER_BYTES, type SafetensorsFile, type NativeTensorEntry } from './safetensors.js';
export { readCheckpoint, CONVERT_ADVICE, type Checkpoint } from './checkpoint.js';
