// Ctrl-C and SIGTERM during a long command: abort the run (finished rows are kept) rather than
// kill the process, and say so once.
import type { ProgressReporter } from './progress.js';

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
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
