// Exit codes (README "Command line"): 0 done, 1 failed, 2 invalid input, 130 interrupted, and
// which an error gives. "Invalid input" is anything the user can fix by changing what they gave (a
// path, a flag, a file's contents); "failed" is a fault of the machine (a full disk, a read-only
// file system, the network, memory) or a bug. The CLI exits with them; a library caller's script
// can tell its errors apart the same way (exitCodeFor is exported).
import { errnoCode, MACHINE_FAULT_CODES } from './fs-error.js';

export const EXIT = { ok: 0, failed: 1, invalid: 2, interrupted: 130 } as const;

/**
 * Error classes that describe what the user gave: a spec or flag, a model (path, config,
 * checkpoint, tokenizer, device), a targets or results file, an argument of a library call
 * (ArgumentError). NativeError is what the addon rejected in its input (a shape, a device,
 * an id); its own faults (memory) are told apart below.
 */
const USER_ERRORS = new Set([
  'UsageError',
  'SpecError',
  'ZodError',
  'TuneOptionsError',
  'BoundOptionsError',
  'ModelConfigError',
  'CheckpointError',
  'TokenizerError',
  'HubError',
  'TargetError',
  'ResultsError',
  'OutputTakenError',
  'ResumeMismatchError',
  'NativeError',
  'ArgumentError',
  'FileError',
  'LockedError',
  'WorkerInputError',
  'StudyError',
]);

/** Hub errors that are the network's fault, not the repo id's. */
const HUB_NETWORK_CODES = new Set(['download-failed']);

/** errno codes of a path the user gave that is wrong (missing, a directory, not theirs). */
const PATH_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EEXIST', 'ENAMETOOLONG', 'ELOOP']);

/** Native faults of the machine, recognisable only by their text. */
const NATIVE_FAULT = /out of memory|bad_alloc|cannot allocate memory/i;

function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let x = e; x && out.length < 8; x = (x as { cause?: unknown }).cause) out.push(x);
  return out;
}

/** A fault of the machine anywhere in the error's cause chain (a full disk under a results error …). */
export function isMachineFault(e: unknown): boolean {
  return chain(e).some((x) => {
    const code = errnoCode(x);
    if (code && MACHINE_FAULT_CODES.has(code)) return true;
    const name = (x as Error)?.name;
    if (name === 'HubError' && HUB_NETWORK_CODES.has((x as { code?: string }).code ?? '')) return true;
    return NATIVE_FAULT.test((x as Error)?.message ?? '');
  });
}

/**
 * The exit code the CLI gives for an error a call threw: 2 where what was given must change (the
 * message names it), 1 for a fault of the machine (a full disk, the network, memory) or a bug,
 * 130 for an abort.
 */
export function exitCodeFor(e: unknown): number {
  const name = (e as Error)?.name ?? '';
  if (name === 'AbortError') return EXIT.interrupted;
  if (isMachineFault(e)) return EXIT.failed;
  if (USER_ERRORS.has(name)) return EXIT.invalid;
  // A raw file-system error on a path the user gave (a missing file, a directory, no permission).
  if (PATH_CODES.has(errnoCode(e) ?? '')) return EXIT.invalid;
  return EXIT.failed;
}
