// Ctrl-C and SIGTERM during a long command: abort the run (finished rows are kept) rather than
// kill the process, and say so once.
import type { ProgressReporter } from './progress.js';
import { stdoutClosed } from './stdout.js';

export interface Interrupt {
  signal: AbortSignal;
  /** stop listening (the command has finished) */
  release(): void;
}

export function onInterrupt(
  reporter: ProgressReporter,
  message = 'interrupted: finishing the current step and keeping every finished row',
): Interrupt {
  const controller = new AbortController();
  const onSignal = () => {
    reporter.log(message);
    controller.abort();
  };
  // No one reads the events any more (a device worker's parent died): stop as on Ctrl-C. Said on
  // stderr, which may still be read (a worker's is its parent's terminal).
  const onStdoutClosed = () => {
    process.stderr.write(
      `distprompt: stdout closed (its reader went away); ${message.replace(/^interrupted: /, '')}\n`,
    );
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (stdoutClosed.aborted) onStdoutClosed();
  else stdoutClosed.addEventListener('abort', onStdoutClosed, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stdoutClosed.removeEventListener('abort', onStdoutClosed);
    },
  };
}
