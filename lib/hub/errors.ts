export type HubErrorCode =
  | 'bad-argument'
  | 'not-found'
  | 'offline'
  | 'no-weights'
  | 'pickle-only'
  | 'download-failed'
  | 'bad-token'
  /** the cache folder cannot be written (permissions, a file in the way, a full or read-only disk) */
  | 'cache';

export class HubError extends Error {
  readonly code: HubErrorCode;
  constructor(code: HubErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubError';
    this.code = code;
  }
}
