// The command line's wording of the library's messages. Where a message names an option of a
// library call (lib/io/said.ts), or an issue names a field a flag set, the CLI names the flag. The
// one table from option to flag is read off the commands' own flag definitions, so no flag's name
// is written here: only the few options whose flag is named otherwise.
import type { Command, Option } from 'commander';

import { libraryWord, saidOf, type OptionWord, type Said } from '../io/said.js';
import { nativeMessage } from '../native/errors.js';
import { IssuesError, type SpecIssue } from '../spec/errors.js';

/**
 * Library names whose flag has another name, by command: runStudy's studiesDir is study's
 * --studies, tune()'s method its --search (tune's --method is the targets'), a sweep spec's
 * entropyBits its --entropy, headBound()'s tolNats bound's --tol.
 */
const FLAG_ATTRIBUTE: Record<string, Record<string, string>> = {
  study: { studiesDir: 'studies', outDir: 'output' },
  tune: { method: 'search' },
  sweep: { entropyBits: 'entropy' },
  bound: { tolNats: 'tol' },
};

/** The flags of `command` that set the library's `name` (commander's attribute name, or as renamed above). */
function flagsFor(command: Command, name: string): Option[] {
  const attribute = FLAG_ATTRIBUTE[command.name()]?.[name] ?? name;
  return command.options.filter((f) => f.attributeName() === attribute);
}

/** `word` as a flag: `--resume`, `--no-bound` for { bound: false }, `--shard i/3` for { shard: 'i/3' }. */
function flagWord(commands: readonly Command[], word: OptionWord): string {
  const flags = commands.map((c) => flagsFor(c, word.option)).find((f) => f.length > 0);
  // A message naming an option no command has is a bug; it still says the option rather than nothing.
  if (!flags) return word.option;
  const flag = flags.find((f) => f.negate === (word.value === false)) ?? flags[0];
  const name = flag.long ?? flag.short!;
  return typeof word.value === 'boolean' || word.value === undefined ? name : `${name} ${word.value}`;
}

/**
 * An error's message as the command line says it: its options as the flags of `ran` (the command
 * that was run), else of any command.
 */
export function commandLineMessage(program: Command, ran: Command | undefined, e: unknown): string {
  const commands = [...(ran ? [ran] : []), ...program.commands];
  const error = ran ? byFlag(e, ran) : e;
  return nativeMessage({ message: saidOf(error).render((w) => flagWord(commands, w), true) });
}

/** A message said with options (a log line's parts) as the command line says it: the flags of `ran`, else of any command. */
export function commandLineSaid(ran: Command, message: Said): string {
  return message.render((w) => flagWord([ran, ...(ran.parent?.commands ?? [])], w), true);
}

/**
 * The parts of an error's message as the command line says it (`message` of its --json error
 * event): issues named by the flags `ran` was given, as commandLineMessage names them; options
 * left as options, for a reader to say in its own words.
 */
export function commandLineParts(ran: Command | undefined, e: unknown): Said['parts'] {
  return saidOf(ran ? byFlag(e, ran) : e).parts;
}

/**
 * An error listing issues by field path (a spec's, tune()'s or headBound()'s options) as the same
 * error naming the flags `ran` was given for those fields; others as they are. Found before the
 * model loads or after (a prompt longer than its position table: lib/run/fit.ts), they are said alike.
 */
function byFlag(e: unknown, ran: Command): unknown {
  return e instanceof IssuesError && e.issues.length > 0 ? e.telling(issuesByFlag(e.issues, ran)) : e;
}

/** Whether the untyped fields of `command`'s spec came from a file (sweep's --config, a study's file), not from its flags' defaults. */
const specFromFile = (command: Command) => command.name() === 'study' || command.getOptionValue('config') !== undefined;

/**
 * Issues about fields that `command`'s flags set, each named by its flag rather than by the field's
 * path (`--max-epochs`, not `maxEpochs`; `--entropy`, not `targets[0].entropyBits`), and so are the
 * other fields a message names (`--deterministic needs a fixed --batch-size`). A field is named by
 * its flag where the user typed it, or where no file gave the spec (so the flag's default did); a
 * field a --config file gave keeps its name.
 */
export function issuesByFlag(issues: readonly SpecIssue[], command: Command): SpecIssue[] {
  const fromFile = specFromFile(command);
  const flagOf = (field: string): Option | undefined =>
    flagsFor(command, field).find((f) => !fromFile || command.getOptionValueSource(f.attributeName()) === 'cli');
  const word = (w: OptionWord) => (flagOf(w.option) ? flagWord([command], w) : libraryWord(w));
  const inFlags = (issue: SpecIssue): SpecIssue =>
    issue.said ? { ...issue, message: issue.said.render(word, true) } : issue;
  return issues.map((issue) => {
    // The innermost field a flag sets, then the outer ones: targets[0].entropyBits is --entropy's,
    // targets[0].kind --targets'. A field no flag sets keeps its path beside the flag that made it
    // (--targets (targets[0].promptLength)): the flag alone would not say which value is wrong.
    const fields = issue.path.split(/[.[]/).filter((f) => !f.endsWith(']'));
    for (let i = fields.length - 1; i >= 0; i--) {
      const named = flagOf(fields[i]);
      if (!named) continue;
      const flag = named.long ?? named.short!;
      return { ...inFlags(issue), path: i === fields.length - 1 ? flag : `${flag} (${issue.path})` };
    }
    return inFlags(issue);
  });
}
