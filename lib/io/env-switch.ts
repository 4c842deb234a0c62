// Switches in the environment: set to 1, or unset. The addon reads a variable as set whatever its
// value, and so did a test of truth in JavaScript: DISTPROMPT_DEBUG=0 turned on what reads as off.
// Every switch takes 1 alone, and another value is refused naming it, by this one rule.

/** What a switch says: on where 1, off where unset; for any other value off, with `refused` saying why. */
export interface SwitchReading {
  on: boolean;
  refused?: string;
}

/**
 * The switch `name` at its `value`, which the caller reads from process.env by the variable's own
 * name (where a test finds each variable the package reads); `does` says what setting it and
 * leaving it unset do.
 */
export function readSwitch(name: string, value: string | undefined, does: { on: string; off: string }): SwitchReading {
  if (value === undefined) return { on: false };
  if (value === '1') return { on: true };
  return { on: false, refused: `${name}='${value}' is not 1: set it to 1 to ${does.on}, or unset it to ${does.off}` };
}

/**
 * DISTPROMPT_DEBUG: the CLI prints an error's stack trace after its message, and loadModel lists
 * the checkpoint tensors a model does not read. Reading it never throws, so an error path may read
 * it; where it is refused is the caller's (the CLI's start, the addon's load).
 */
export const debugSwitch = (): SwitchReading =>
  readSwitch('DISTPROMPT_DEBUG', process.env.DISTPROMPT_DEBUG, {
    on: "print an error's stack trace and the checkpoint tensors a model does not read",
    off: 'print neither',
  });
