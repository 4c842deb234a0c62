// The command line's wording of the library's messages: where a message names an option of a
// library call (lib/io/said.ts), the CLI names the flag that sets it. The one table from option to
// flag is read off the commands' own flag definitions, so no flag's name is written here.
import type { Command, Option } from 'commander';

import { saidOf, type OptionWord } from '../io/said.js';
import { nativeMessage } from '../model/errors.js';

/** Library options whose flag is named otherwise (runStudy's studiesDir is study's --studies). */
const FLAG_ATTRIBUTE: Record<string, string> = { studiesDir: 'studies', outDir: 'output' };

/** Every flag of every command by the option it sets (commander's attribute name). */
function flagsByOption(program: Command): Map<string, Option[]> {
  const table = new Map<string, Option[]>();
  for (const command of [program, ...program.commands])
    for (const flag of command.options) {
      const name = flag.attributeName();
      const known = table.get(name) ?? [];
      if (!known.some((k) => k.flags === flag.flags)) table.set(name, [...known, flag]);
    }
  return table;
}

/** `word` as a flag: `--resume`, `--no-bound` for { bound: false }, `--shard i/3` for { shard: 'i/3' }. */
function flagWord(table: Map<string, Option[]>, word: OptionWord): string {
  const flags = table.get(FLAG_ATTRIBUTE[word.option] ?? word.option);
  // A message naming an option no command has is a bug; it still says the option rather than nothing.
  if (!flags) return word.option;
  const flag = flags.find((f) => f.negate === (word.value === false)) ?? flags[0];
  const name = flag.long ?? flag.short!;
  return typeof word.value === 'boolean' || word.value === undefined ? name : `${name} ${word.value}`;
}

/** An error's message as the command line says it: its options as flags. */
export function commandLineMessage(program: Command, e: unknown): string {
  const table = flagsByOption(program);
  return nativeMessage({ message: saidOf(e).render((w) => flagWord(table, w), true) });
}
