// The CLI's start: its modules load (the library behind a command, apache-arrow, libtorch's addon)
// in a fraction of a second to seconds on a busy machine. A command's library is loaded only when
// that command runs, so --help, --version and a usage error pay for the flags alone; and Ctrl-C
// (or SIGTERM) while the start is under way ends it with the interrupted exit code and a word,
// not with Node's default death by the signal.
import { EXIT } from '../io/exit-code.js';

const onSignal = () => {
  process.stderr.write('distprompt: interrupted while starting; nothing was done\n');
  process.exit(EXIT.interrupted);
};

/** Heard from the entry's first line until the command that runs has loaded (startupOver). */
export function interruptDuringStartup(): void {
  if (process.listeners('SIGINT').includes(onSignal)) return; // heard already: once is enough
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The command is loaded: from here it answers a signal itself (lib/cli/interrupt.ts), or Node does. */
export function startupOver(): void {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/**
 * `module`, loaded with the start's handling of a signal in place: for a command's own code loaded
 * before it handles Ctrl-C itself.
 */
export async function loading<T>(module: Promise<T>): Promise<T> {
  const starting = process.listeners('SIGINT').includes(onSignal);
  interruptDuringStartup();
  try {
    return await module;
  } finally {
    if (!starting) startupOver();
  }
}

/**
 * A command's action whose module (`load`) is imported only when the command runs; the start is
 * over once it is.
 */
export function loadedAction<A extends unknown[]>(
  load: () => Promise<(...args: A) => Promise<void> | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const action = await load();
    startupOver();
    await action(...args);
  };
}
