// The folder a command runs in must still exist: one deleted (or moved) after the shell entered
// it makes relative paths mean nothing, and loading libtorch there aborts the process (MKL's
// loader asks for the working folder), exit 134 with a lock left behind, before any message of ours.
import { UsageError } from './exit.js';

/** Throws a UsageError (exit 2) when the process's working folder is gone. */
export function checkWorkingFolder(): void {
  try {
    process.cwd();
  } catch {
    throw new UsageError(
      'the current folder no longer exists (deleted or moved after this shell entered it): cd to an existing folder and rerun',
    );
  }
}
