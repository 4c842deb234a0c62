export { CheckpointError, type CheckpointErrorCode } from './errors.js';
export {
  readSafetensorsHeader,
  parseHeader,
  DTYPE_BYTES,
  MAX_HEADER_BYTES,
  MAX_HEADER_DEPTH,
  type SafetensorsFile,
  type SafetensorsTensor,
  type FileStamp,
  type NativeTensorEntry,
} from './safetensors.js';
export { readCheckpoint, CONVERT_ADVICE, type Checkpoint, type CheckpointFile } from './checkpoint.js';
export { selectTensors, type TensorSelection } from './select.js';
export { findNonFinite, type NonFinite } from './finite.js';
export { weightsDigest, digestWindows, DIGEST_SAMPLES, DIGEST_WINDOW } from './digest.js';
export { checkpointChange, type CheckpointChange } from './stamp.js';
