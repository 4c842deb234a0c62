// Ctrl-C and SIGTERM during a long command: abort the run (finished rows are kept) rather than
// kill the process, and say so once.
import type { ProgressReporter } from './progress.js';
import { afterOutcome, handOver } from './startup.js';
import { stdoutClosed } from './stdout.js';

/** A signal this soon after the first is the same interrupt delivered again, not a second Ctrl-C. */
const REPEAT_MS = 1000;

export interface Interrupt {
  signal: AbortSignal;
  /**
   * What a later interrupt says instead: the run has reached a stage it finishes all the same (a
   * sweep whose rows are all done, writing its file), where the words of stopping would be untrue.
   * `endAtOnce` as onInterrupt's.
   */
  say(message: string, endAtOnce?: boolean): void;
  /** stop listening (the command has finished) */
  release(): void;
}

/**
 * `endAtOnce`: a signal, once said, ends the process by that signal (a shell's 130), as without a
 * handler: for a step that keeps nothing and that the addon does not stop midway (making targets).
 */
export function onInterrupt(
  reporter: ProgressReporter,
  first = 'interrupted: finishing the current step and keeping every finished row',
  endAtOnce = false,
): Interrupt {
  let message = first;
  let atOnce = endAtOnce;
  const controller = new AbortController();
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      reporter.tell(message);
      if (atOnce) {
        release();
        process.kill(process.pid, signal);
        return;
      }
      controller.abort();
      return;
    }
    // `timeout -s INT` signals the process and then its process group: one interrupt, delivered
    // twice, which must not end the run it asked to stop.
    if (Date.now() - firstAt < REPEAT_MS) return;
    // A later one is a second Ctrl-C: the process ends at once, as without a handler.
    release();
    process.kill(process.pid, signal);
  };
  // No one reads the events any more (a device worker's parent died): stop as on Ctrl-C. Said on
  // stderr, which may still be read (a worker's is its parent's terminal).
  const onStdoutClosed = () => {
    process.stderr.write(
      `distprompt: stdout closed (its reader went away); ${message.replace(/^interrupted: /, '')}\n`,
    );
    controller.abort();
  };
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stdoutClosed.removeEventListener('abort', onStdoutClosed);
  };
  handOver();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (stdoutClosed.aborted) onStdoutClosed();
  else stdoutClosed.addEventListener('abort', onStdoutClosed, { once: true });
  return {
    signal: controller.signal,
    say: (m, endAtOnce = false) => {
      message = m;
      atOnce = endAtOnce;
    },
    release: () => {
      release();
      afterOutcome();
    },
  };
}
