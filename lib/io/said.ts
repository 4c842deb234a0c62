// A message that names what its reader can change, in the reader's own words: a script passes
// options (`{ overwrite: true }`), a command-line user types flags (`--overwrite`). Such a message
// is built from parts once; an error's `message` is the library's wording, and the CLI renders the
// same parts with its flags (lib/cli/flag-words.ts), so no message is written in two voices.

/** An option of a library call as a message names it: alone (`shard`), or with the value to pass. */
export interface OptionWord {
  readonly option: string;
  readonly value?: string | number | boolean;
}

/** Words the command line has where a script has others, or none (a command to run, `--list`). */
export interface CommandLineWords {
  readonly commandLine: string;
  readonly library: string;
}

export type Part = string | OptionWord | CommandLineWords;

export class Said {
  constructor(readonly parts: readonly Part[]) {}

  /** The message with each option word as `word` writes it, and the command line's own words where `commandLine`. */
  render(word: (w: OptionWord) => string, commandLine = false): string {
    return this.parts
      .map((p) => (typeof p === 'string' ? p : 'option' in p ? word(p) : commandLine ? p.commandLine : p.library))
      .join('');
  }

  /** The library's wording. */
  toString(): string {
    return this.render(libraryWord);
  }
}

/** An option named in a message: `option('resume', true)` reads `{ resume: true }` to a script, `--resume` on the command line. */
export const option = (name: string, value?: string | number | boolean): OptionWord =>
  value === undefined ? { option: name } : { option: name, value };

/** Words for the command line (`this command`), and what a script reads in their place (`this call`; none by default). */
export const onCommandLine = (text: string, library = ''): CommandLineWords => ({ commandLine: text, library });

/** An option as a script writes it: its name, or `{ name: value }`. */
export function libraryWord(w: OptionWord): string {
  if (w.value === undefined) return w.option;
  return `{ ${w.option}: ${typeof w.value === 'string' ? `'${w.value}'` : String(w.value)} }`;
}

/** A message from a template whose `${}` take text, numbers, option(), onCommandLine() and other messages. */
export function said(strings: TemplateStringsArray, ...values: ReadonlyArray<Part | Said | number>): Said {
  const parts: Part[] = [];
  strings.forEach((s, i) => {
    parts.push(s);
    if (i >= values.length) return;
    const v = values[i];
    if (v instanceof Said) parts.push(...v.parts);
    else parts.push(typeof v === 'number' ? String(v) : v);
  });
  return new Said(parts);
}

const SAID = Symbol('said');

/** Sets `error`'s message, keeping its parts when it was said with options (what the CLI renders). */
export function setMessage(error: Error, message: string | Said): void {
  error.message = String(message);
  if (message instanceof Said) Object.defineProperty(error, SAID, { value: message, configurable: true });
}

/**
 * An error whose message may be said with options, kept for the CLI to render in flags. Each
 * subclass names itself in a field (exit codes are chosen by name, lib/io/exit-code.ts), so that
 * its own subclasses keep its name.
 */
export class SaidError extends Error {
  constructor(message: string | Said, options?: ErrorOptions) {
    super(String(message), options);
    setMessage(this, message);
  }
}

/** A plain Error saying `message`. */
export function errorSaying(message: Said): Error {
  const e = new Error();
  setMessage(e, message);
  return e;
}

/**
 * Parts as JSON gave them back (a device worker's error event, lib/run/device-progress.ts): a Said
 * where every part is text, an option word or command-line words; else undefined.
 */
export function saidFromJson(parts: unknown): Said | undefined {
  const isPart = (p: unknown): p is Part =>
    typeof p === 'string' ||
    (typeof p === 'object' &&
      p !== null &&
      (typeof (p as OptionWord).option === 'string' ||
        (typeof (p as CommandLineWords).commandLine === 'string' &&
          typeof (p as CommandLineWords).library === 'string')));
  return Array.isArray(parts) && parts.length > 0 && parts.every(isPart) ? new Said(parts) : undefined;
}

/** The parts of an error's message where it was said with options; else its message as one part. */
export function saidOf(e: unknown): Said {
  const kept = (e as { [SAID]?: Said } | null)?.[SAID];
  return kept instanceof Said ? kept : new Said([(e as Error)?.message ?? String(e)]);
}
