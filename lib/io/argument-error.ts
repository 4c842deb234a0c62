/**
 * A bad argument a script passed to a library call (a Model call, a kernel, runSweep's or plotAll's
 * options …): the message names the call, the argument, the value given and what to give instead.
 * A TypeError, as JavaScript's own bad arguments are, with its own name (exit 2 by exitCodeFor).
 */
export class ArgumentError extends TypeError {
  override name = 'ArgumentError';
}
