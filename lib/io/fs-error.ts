// What a failed file operation means to the person who ran it. Node's own errors ("ENOSPC: no
// space left on device, write") name neither the file the user cares about nor what to do;
// FileError does both and keeps the errno code, so the command line can tell a full disk (the
// machine's fault: exit 1) from a wrong path (the user's: exit 2).

import { said, saidOf, SaidError, type Said } from './said.js';

/** errno codes that are faults of the machine (disk, file system, network), not of the input. */
export const MACHINE_FAULT_CODES: ReadonlySet<string> = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EIO',
  'ENOMEM',
  'EMFILE',
  'ENFILE',
  'EFBIG',
  'ESTALE',
  'EBUSY',
  'EAGAIN',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
]);

export class FileError extends SaidError {
  override name = 'FileError';
  /** the errno code (ENOSPC, ENOENT …) */
  readonly code: string;
  readonly path: string;

  constructor(code: string, path: string, message: string | Said, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.path = path;
  }
}

/** The errno code of a Node error, or one named at the start of a message ("EIO: i/o error …"). */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
  return /(?:^|: )(E[A-Z][A-Z0-9_]+): /.exec((e as Error)?.message ?? '')?.[1];
}

/** Why a file the user named cannot be read, in words: missing and folder are the usual mistakes. */
export function unreadableWhy(e: unknown): string {
  const code = errnoCode(e);
  return code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
}

/** What is wrong, and what the user can do about it. */
function meaning(code: string, path: string): { what: string; todo: string } {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return {
        what: `disk full (${code}) while writing ${path}`,
        todo: 'free space, or choose an output on another disk',
      };
    case 'EROFS':
      return { what: `${path} is on a read-only file system`, todo: 'choose an output on a writable one' };
    case 'EIO':
      return { what: `input/output error on ${path}`, todo: 'check the disk or the network mount' };
    case 'ENOENT':
      return { what: `${path}: no such file or folder`, todo: 'check the path (the folder of an output must exist)' };
    case 'ENOTDIR':
      return { what: `${path}: a part of the path is a file, not a folder`, todo: 'check the path' };
    case 'ENAMETOOLONG':
      return { what: `${path}: a name in the path is too long for the file system`, todo: 'give a shorter one' };
    case 'EISDIR':
      return { what: `${path} is a directory, not a file`, todo: 'give a file name' };
    case 'EACCES':
    case 'EPERM':
      return {
        what: `no permission to write ${path} (${code})`,
        todo: 'choose another output or change its permissions',
      };
    default:
      return { what: `${path}: ${code}`, todo: 'check the path and the disk' };
  }
}

/**
 * A FileError for a failed operation on `path`; `detail` is added after the advice (e.g. "12 rows
 * are kept in …: rerun with --resume"). A FileError is passed through (with `detail` added), so
 * wrapping twice names the file once; an error without an errno code is returned as it is.
 */
export function fileError(e: unknown, path: string, detail?: string | Said): Error {
  if (e instanceof FileError)
    return detail ? new FileError(e.code, e.path, said`${saidOf(e)}; ${detail}`, { cause: e }) : e;
  const code = errnoCode(e);
  if (!code) return e instanceof Error ? e : new Error(String(e));
  const m = meaning(code, path);
  return new FileError(code, path, said`${m.what}: ${m.todo}${detail ? said`; ${detail}` : ''}`, { cause: e });
}
