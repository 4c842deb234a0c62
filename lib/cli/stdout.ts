// A closed stdout: `sweep --json | head -1`, or a device worker whose parent died. Node reports
// the write as an 'error' event (EPIPE) that, unheard, ends the process with a stack trace in the
// middle of a run. Heard here instead: nothing more is written there, and a long command stops
// as on Ctrl-C (lib/cli/interrupt.ts), keeping its finished rows, since no one reads its events.
const closed = new AbortController();

/** Aborted once stdout's reader has gone. */
export const stdoutClosed: AbortSignal = closed.signal;

/** Listens for the rest of the process (called once, by the CLI's entry). */
export function watchStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
      if (!closed.signal.aborted) closed.abort();
      return;
    }
    // Another fault of the stream (rare: a full disk behind a redirect) is the machine's: said once.
    if (!closed.signal.aborted) {
      process.stderr.write(`distprompt: cannot write to stdout (${e.message}); stopping\n`);
      process.exitCode = 1;
      closed.abort();
    }
  });
}
