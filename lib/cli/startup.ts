// The CLI's start: its modules load (the library behind a command, apache-arrow, libtorch's addon)
// in a fraction of a second to seconds on a busy machine. A command's library is loaded only when
// that command runs, so --help, --version and a usage error pay for the flags alone.
//
// Who answers SIGINT and SIGTERM, one at a time, from the entry's first line to the process's end:
// - a phase (the start, a model's load, a merge: `during`): the process exits at once with the
//   interrupted exit code and the phase's words, what was and was not done, where Node's default
//   death by the signal would say nothing and run no 'exit' listener (the one that removes this
//   process's temporaries, lib/io/exit-cleanup.ts);
// - a command's own handling of a long run (interrupt.ts onInterrupt), which stops it keeping
//   what is done: it takes over (handOver) from the phase;
// - once the command's outcome is decided (afterOutcome), the process ends with the code it has.
import { EXIT } from '../io/exit-code.js';

/** What a signal says in a phase; a function is asked when the signal comes (has a file been written yet?). */
export type PhaseWords = string | (() => string);

/** The phase hearing signals now, if one is. */
let phase: { words: PhaseWords } | undefined;

const endPhase = () => {
  const { words } = phase!;
  // Node's default again: a second signal ends the process at once, should the exit wait (Node
  // joins the addon's work under way before it exits: a model's build, a tune or a head bound
  // stops at its next step, a batch of targets being made is finished first).
  hear(undefined);
  process.stderr.write(`distprompt: ${typeof words === 'function' ? words() : words}\n`);
  process.exit(EXIT.interrupted);
};

function hear(next: typeof phase): void {
  if (next && !phase) {
    process.on('SIGINT', endPhase);
    process.on('SIGTERM', endPhase);
  } else if (!next && phase) {
    process.off('SIGINT', endPhase);
    process.off('SIGTERM', endPhase);
  }
  phase = next;
}

/** Heard from the entry's first line until the command's own handling or its end. */
export function interruptDuringStartup(): void {
  if (phase) return; // heard already: once is enough
  hear({ words: 'interrupted while starting; nothing was done' });
}

/**
 * `work`, during which a signal ends the process at once (exit 130) saying `words` ('interrupted
 * while loading the model; nothing was done'). For a command's steps before its own handling
 * (onInterrupt), which takes over from it; after `work` the phase before it is back.
 */
export async function during<T>(words: PhaseWords, work: () => Promise<T>): Promise<T> {
  const outer = phase;
  const own = { words };
  hear(own);
  try {
    return await work();
  } finally {
    if (phase === own) hear(outer);
  }
}

/**
 * Heard once the command's outcome is decided (a run's interrupt released, the command returned or
 * failed), while the process ends (the model disposed, stdout flushed): a signal then lets the
 * process end with the code it has, where Node's would end a finished run with 130. A second one
 * ends it at once, as without a handler, should that end hang.
 */
let lateSignals = 0;
function afterRelease(signal: NodeJS.Signals): void {
  if (++lateSignals === 1) return;
  forgetLateSignals();
  process.kill(process.pid, signal);
}
function forgetLateSignals(): void {
  lateSignals = 0;
  process.off('SIGINT', afterRelease);
  process.off('SIGTERM', afterRelease);
}

/** A command's own handling hears signals from here (a study's sweeps: each of its runs again). */
export function handOver(): void {
  hear(undefined);
  forgetLateSignals();
}

/** The command's outcome is decided: a signal from here lets the process end with its code. */
export function afterOutcome(): void {
  if (process.listeners('SIGINT').includes(afterRelease)) return; // decided already: a late signal stays counted
  handOver();
  process.on('SIGINT', afterRelease);
  process.on('SIGTERM', afterRelease);
}

/**
 * A command's action whose module (`load`) is imported only when the command runs. The start's
 * words hold until the action's own phase or handling; its end decides the outcome.
 */
export function loadedAction<A extends unknown[]>(
  load: () => Promise<(...args: A) => Promise<void> | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const action = await load();
    try {
      await action(...args);
    } finally {
      afterOutcome();
    }
  };
}
