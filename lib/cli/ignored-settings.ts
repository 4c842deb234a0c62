// Sweep settings that no method of the sweep reads (SETTINGS_IGNORED): refused where the user gave
// them, typed as a flag or written in the --config file, as tune() refuses them for a hard method.
// A sweep of hard methods alone ran with `--lr 0.1` as if it had been read.
import type { Command } from 'commander';

import { readsSetting, SETTINGS_IGNORED } from '../run/method-options.js';
import { resolveMethods, type MethodName, type SweepSpec } from '../spec/index.js';
import { UsageError } from './exit.js';

/** Why a method does not read a setting (SETTINGS_IGNORED says it at length): every one but cudaGraph is AdamW's or a soft prompt's. */
const WHY: Record<string, string> = { cudaGraph: 'a sweep replays CUDA graphs for its soft methods only' };
const NO_SOFT_POSITIONS = 'a hard prompt has no soft positions';

const METHODS = Object.keys(SETTINGS_IGNORED) as MethodName[];
const SETTINGS = [...new Set(Object.values(SETTINGS_IGNORED).flat())];

/** A value that asks for something: a false (`--no-cuda-graph`, `"softPrompts": false`) asks for nothing a method could ignore. */
const asks = (v: unknown): boolean => v !== undefined && v !== false;

/** `--lr`, `--cuda-graph`: the flag of `cmd` that sets `field` (not its negation, which asks for nothing). */
function flagOf(cmd: Command, field: string): string | undefined {
  return cmd.options.find((o) => o.attributeName() === field && !o.negate)?.long;
}

const them = (n: number) => (n > 1 ? 'them' : 'it');

/**
 * Refuses (exit 2) each setting that no method of `spec` reads, where it was typed on `cmd`'s
 * command line or is in `file` (the --config file's JSON as written, before defaults fill it in).
 */
export function refuseIgnoredSettings(
  spec: SweepSpec,
  cmd: Command,
  file?: { path: string; json: Record<string, unknown> },
): void {
  const methods = new Set(spec.methods.map((m) => m.method));
  const unread = SETTINGS.filter((field) => ![...methods].some((m) => readsSetting(m, field)));
  const typed = unread.filter((f) => cmd.getOptionValueSource(f) === 'cli' && asks(cmd.getOptionValue(f)));
  const written = file === undefined ? [] : unread.filter((f) => asks(file.json[f]));
  if (typed.length + written.length === 0) return;
  const labels = resolveMethods(spec)
    .map((m) => m.label)
    .join(', ');
  const why = (field: string) => WHY[field] ?? NO_SOFT_POSITIONS;
  // One sentence per reason: its flags, then its fields of the file, and the methods that read them.
  const sentences = [...new Set([...typed, ...written].map(why))].map((reason) => {
    const flags = typed.filter((f) => why(f) === reason).map((f) => flagOf(cmd, f) ?? f);
    const fields = written.filter((f) => why(f) === reason);
    const n = flags.length + fields.length;
    const names = [...flags, ...(fields.length > 0 ? [`${fields.join(', ')} in --config ${file!.path}`] : [])];
    const one = [...typed, ...written].find((f) => why(f) === reason)!;
    const readers = METHODS.filter((m) => readsSetting(m, one));
    return `${names.join(' and ')} would be ignored: no method of this sweep (${labels}) reads ${them(n)}, as ${reason}; drop ${them(n)}, or add a ${readers.join(' or ')} method`;
  });
  throw new UsageError(sentences.join('\n'));
}
