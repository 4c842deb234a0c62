// One error class for everything that can be wrong with a checkpoint on disk. The `code` lets
// callers (and tests) tell the problems apart without parsing messages; the message names the
// file, the tensor where there is one, and the problem, so a user can act on it.
export type CheckpointErrorCode =
  | 'missing-file'
  | 'not-a-directory'
  | 'bad-config'
  | 'truncated'
  | 'header-past-eof'
  | 'header-too-large'
  | 'bad-json'
  | 'header-length'
  | 'duplicate-key'
  | 'bad-entry'
  | 'unknown-dtype'
  | 'unsupported-dtype'
  | 'byte-length'
  | 'out-of-bounds'
  | 'overlap'
  | 'gap'
  | 'trailing-data'
  | 'bad-index'
  | 'duplicate-tensor'
  | 'missing-tensor'
  | 'unexpected-tensor'
  | 'changed'
  | 'pickle'
  | 'io';

export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;
  /** the file the problem is in (or the directory, when a file is missing) */
  readonly path: string;
  readonly tensor: string | undefined;

  constructor(code: CheckpointErrorCode, path: string, message: string, tensor?: string) {
    super(`${path}: ${message}`);
    this.name = 'CheckpointError';
    this.code = code;
    this.path = path;
    this.tensor = tensor;
  }
}
