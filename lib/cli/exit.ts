// The CLI's exit codes as `--help` prints them, and its usage error. Which error gives which code
// is lib/io/exit-code.ts's, shared with library callers.
import { EXIT } from '../io/exit-code.js';
import { SaidError } from '../io/said.js';

export { EXIT, exitCodeFor } from '../io/exit-code.js';

/** What each exit code means, as `distprompt --help` prints it (README "Command line" says the same, tested). */
const EXIT_MEANINGS: Record<keyof typeof EXIT, string> = {
  ok: 'done',
  failed: 'failed: a fault of the machine (a full disk, a read-only file system, the network, memory) or a bug',
  invalid: 'invalid input (the message names the field)',
  interrupted: 'interrupted (finished rows kept; rerun with --resume)',
};

/** Every exit code with its meaning, in order. */
export const exitCodeMeanings = (): Array<[code: number, meaning: string]> =>
  (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((k) => [EXIT[k], EXIT_MEANINGS[k]]);

/** An error the user can fix by changing what they typed: exits 2. */
export class UsageError extends SaidError {
  override name = 'UsageError';
}
