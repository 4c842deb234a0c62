// Rows a sweep takes from finished results files given to it (`--reuse`, runSweep's and
// estimateSweep's `reuse`): a row such a file holds, run as this sweep would run it (the same
// model, target, method, init and the settings its method reads: lib/run/shared-rows.ts), is
// written, not run again. So separate commands share rows as a study's sweeps do: `methods` run
// after `vanilla` takes its soft rows. Only files this version of distprompt wrote, with their targets files unchanged: a
// row's result is the code's as much as its key's.
import type { SweepSpec } from '../spec/index.js';
import { readResults } from '../results/index.js';
import { targetFileHashes } from '../targets/file.js';
import type { TargetStore } from '../targets/store.js';
import { VERSION } from '../version.js';
import { rowSettings, shareFinished, type RowModel } from './shared-rows.js';
import { ArgumentError } from '../io/argument-error.js';

/** The option as a script may give it: a list of results files. */
export function checkReuse(owner: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || p === ''))
    throw new ArgumentError(
      `${owner}: option reuse must be a list of finished results files (.arrow paths), got ${JSON.stringify(value)}`,
    );
}

/** Why a file's rows cannot stand for this code's, or undefined when they can. */
function notReusable(metadata: { version: string; targetFiles?: Record<string, string> }): string | undefined {
  if (metadata.version !== VERSION)
    return `written by distprompt ${metadata.version}, this is ${VERSION}: its rows may differ from what this version computes`;
  const files = metadata.targetFiles ?? {};
  let now: Record<string, string> | undefined;
  try {
    now = targetFileHashes(Object.keys(files));
  } catch (e) {
    return `its targets file cannot be read now (${(e as Error).message})`;
  }
  const changed = Object.keys(files).filter((p) => now?.[p] !== files[p]);
  if (changed.length) return `its targets file ${changed.join(', ')} changed since it ran`;
  return undefined;
}

/** A file whose rows were offered: what its rows ran with. */
export interface ReuseOffer {
  path: string;
  spec: SweepSpec;
  model: RowModel;
}

/**
 * Reads each file and keeps its rows in `store` as a finished sweep of this run (shareRows);
 * returns a line per file for the log, and the files offered. A file that is not a finished
 * results file is refused (ResultsError, naming it); one written by another version, or against
 * targets files changed since, is passed over, saying why.
 */
export async function reuseResults(
  store: TargetStore,
  paths: readonly string[],
): Promise<{ lines: string[]; offers: ReuseOffer[] }> {
  const lines: string[] = [];
  const offers: ReuseOffer[] = [];
  for (const path of paths) {
    const results = await readResults(path);
    const { metadata } = results;
    const why = notReusable(metadata);
    if (why) {
      lines.push(`reuse ${path}: not used, ${why}`);
      continue;
    }
    const spec: SweepSpec = metadata.spec;
    shareFinished(store, spec, results);
    offers.push({ path, spec, model: metadata.model });
    lines.push(`reuse ${path}: ${results.records.length} finished rows of ${metadata.model.name} offered`);
  }
  return { lines, offers };
}

const shownValue = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));

/**
 * Why a sweep took no row of the files offered, a line each: another model, the settings that
 * differ (each with both values; only those a method of this sweep reads), or else that they hold
 * none of its rows; so that a user who expected rows to be copied learns what to change. Nothing where a row was taken, or none was
 * left to take (`left` rows to run before any is taken, `taken` of them taken).
 */
export function whyNoneTaken(
  offers: readonly ReuseOffer[],
  spec: SweepSpec,
  model: RowModel,
  { left, taken }: { left: number; taken: number },
): string[] {
  if (offers.length === 0 || left === 0 || taken > 0) return [];
  if (spec.deterministic)
    return ['reuse: a deterministic sweep takes no rows from files (its rows run in fixed groups of its own plan)'];
  // The settings some method of this sweep reads: one its methods all ignore cannot keep a row out.
  const methods = [...new Set(spec.methods.map((m) => m.method))];
  const read = (s: SweepSpec) => new Map(methods.flatMap((m) => rowSettings(s, m)));
  const mine = read(spec);
  return offers.map(({ path, spec: theirs, model: their }) => {
    if (their.name !== model.name || their.hash !== model.hash)
      return `reuse ${path}: no row taken: its rows are of ${their.name}${their.name === model.name ? ' with other weights or config' : ''}, this sweep's of ${model.name}`;
    if (theirs.deterministic)
      return `reuse ${path}: no row taken: its sweep was deterministic (rows run in fixed groups)`;
    const settings = read(theirs);
    const differ = [...new Set([...mine.keys(), ...settings.keys()])]
      .filter((k) => JSON.stringify(mine.get(k)) !== JSON.stringify(settings.get(k)))
      .map((k) => `${k} ${shownValue(settings.get(k))} there, ${shownValue(mine.get(k))} here`);
    return differ.length
      ? `reuse ${path}: no row taken: its rows ran with other settings (${differ.join('; ')})`
      : `reuse ${path}: no row taken: it holds none of this sweep's rows (other targets, methods or inits)`;
  });
}
