// Shard files: where shard i of N of a sweep writes (`--shard i/N` of a study, one device worker
// of `--devices`), and the complete set of them beside an output, which a later run merges.
import { existsSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { option, said } from '../io/said.js';
import { FileError } from '../io/fs-error.js';
import { checkOutputName, LONGEST_OUTPUT_NAME, NAME_MAX_BYTES } from '../io/output-name.js';
import { journalPath, readJournalHead, readResultsHead, ResultsError } from '../results/index.js';
import type { Shard, SweepSpec } from '../spec/index.js';
import { runHolding } from './lock.js';

/** Devices a sweep's rows are split over, a shard each: its `devices`, unless it is itself a shard. */
export const deviceCount = (spec: SweepSpec): number =>
  spec.devices && spec.devices.length > 1 && !spec.shard ? spec.devices.length : 1;

/** The device a sweep's model is first loaded on: the first of its `devices` where it is split over them. */
export const firstDevice = (spec: SweepSpec): string => (deviceCount(spec) > 1 ? spec.devices![0] : spec.device);

/** Shard `shard` of a sweep, written to its own shard file. */
export const shardSpec = (spec: SweepSpec, shard: Shard): SweepSpec => ({
  ...spec,
  shard,
  output: shardFile(spec.output, shard.index, shard.count),
});

/** Shard i of n of the sweep writing `output`: 'x.arrow' → 'x.shard0of2.arrow'. */
export const shardFile = (output: string, i: number, n: number): string =>
  `${output.replace(/\.arrow$/, '')}.shard${i}of${n}.arrow`;

/** Every shard file of `output` split `n` ways, in shard order. */
export const shardFiles = (output: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => shardFile(output, i, n));

/** Removes shard files once the file merged from them is in place. */
export const removeShards = async (files: readonly string[]): Promise<void> => {
  await Promise.all(files.map((f) => rm(f, { force: true })));
};

/**
 * A run over `n` devices removes its workers' shard files once it has merged them; a kill between
 * the merge's rename and that removal leaves them beside the merged file, older than it. The run
 * resumed then finds the sweep finished: it removes those of sweep `hash` here, as the merge would
 * have (every row they hold is in the merged file), rather than leaving them there for good.
 */
export async function removeMergedShards(output: string, n: number, hash: string): Promise<void> {
  if (n < 2 || !existsSync(output)) return;
  const merged = statSync(output).mtimeMs;
  const left = shardFiles(output, n).filter((f) => existsSync(f) && statSync(f).mtimeMs <= merged);
  const hashes = await Promise.all(left.map(shardHash));
  await removeShards(left.filter((_, i) => hashes[i] === hash));
}

/**
 * The longest name `output` may have so that its shard files' names, split `n` ways, leave room
 * for what distprompt adds beside them while writing (`.partial`, `.lock`). The shard names stay
 * as they are (runs of `--shard` elsewhere are given them, and a merge run finds them by them);
 * the limit is one on the output's name instead, for this many shards.
 */
export function longestShardedName(output: string, n: number): number {
  if (n < 2) return LONGEST_OUTPUT_NAME;
  // The last shard's index has the most digits: its name is the longest.
  return LONGEST_OUTPUT_NAME - (nameBytes(shardFile(output, n - 1, n)) - nameBytes(output));
}

const nameBytes = (path: string): number => Buffer.byteLength(basename(path));

/**
 * Refuses (exit 2, naming the limit for `n` shards) an output whose shard files' names would not
 * fit: the output's own name fitting, the first shard's was refused by its own name's check, which
 * named a file the user never gave and a limit the output already met.
 */
export function checkShardNames(output: string, n: number): void {
  checkOutputName(output);
  const most = longestShardedName(output, n);
  if (nameBytes(output) <= most) return;
  throw new FileError(
    'ENAMETOOLONG',
    output,
    `the output name ${basename(output)} is ${nameBytes(output)} bytes, and its shard files' names are longer (${basename(shardFile(output, n - 1, n))}): give one of at most ${most} for a run in ${n} shards (file systems allow ${NAME_MAX_BYTES} bytes, and distprompt adds up to ${NAME_MAX_BYTES - LONGEST_OUTPUT_NAME} beside a file while writing)`,
  );
}

/** The names beside `output` of its shard files (with `partial`, their journals too), with each one's count. */
async function shardNames(output: string, partial = false): Promise<Array<{ name: string; count: number }>> {
  const stem = basename(output, '.arrow').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${stem}\\.shard\\d+of(\\d+)\\.arrow${partial ? '(\\.partial)?' : ''}$`);
  const names = existsSync(dirname(output)) ? await readdir(dirname(output)) : [];
  return names.flatMap((name) => {
    const m = pattern.exec(name);
    return m ? [{ name, count: Number(m[1]) }] : [];
  });
}

/**
 * Refuses to split `output` into `n` shards over shard files or journals of a split into another
 * count (an earlier run on another number of devices, or `--shard i/N` runs): a run on `n` would
 * neither resume nor merge their rows, so they would be lost without a word. One a live run still
 * writes is named with its process, to be waited for rather than deleted.
 */
export async function refuseOtherShardCounts(output: string, n: number, resume: boolean): Promise<void> {
  const other = (await shardNames(output, true)).filter((s) => s.count !== n);
  if (other.length === 0) return;
  const count = other[0].count;
  const names = other.filter((s) => s.count === count).map((s) => join(dirname(output), s.name));
  const split = said`split ${count} ways (on ${count} devices, or by ${option('shard', `i/${count}`)})`;
  const rows = said`hold rows of a run of ${output} ${split}, which a run on ${n} would neither resume nor merge`;
  for (const name of names) {
    const by = await runHolding(name.replace(/\.partial$/, ''));
    if (by)
      throw new ResultsError(
        said`${names.join(', ')} ${rows}, and ${by} is writing one: wait for that run to finish, or stop it first`,
      );
  }
  throw new ResultsError(
    said`${names.join(', ')} ${rows}: ${resume ? 'resume' : said`continue it with ${option('resume', true)}`} split ${count} ways, or delete them (or pass ${option('overwrite', true)}) to start over`,
  );
}

/** A complete set of shard files of one sweep beside its output, or null. */
export async function shardSet(output: string): Promise<string[] | null> {
  const counts = new Set((await shardNames(output)).map((s) => s.count));
  for (const n of counts) {
    const files = shardFiles(output, n);
    if (files.every((f) => existsSync(f))) return files;
  }
  return null;
}

/**
 * A complete set of shard files of sweep `hash` beside `output`, each written after `output`
 * (`--overwrite` on every shard, or on a study's device workers, after an earlier merge), or null.
 * A merge writes its file after every shard it reads, so a cluster's shards that a merge left
 * beside its file are older than it and are not such a set; newer ones hold the sweep as it was
 * run again, which the merged file would hide from the run that merges.
 */
export async function shardsAfterMerge(output: string, hash: string): Promise<string[] | null> {
  const set = await shardSetBeside(output);
  if (!set || set.older.length > 0) return null;
  return (await shardHash(set.files[0])) === hash ? set.files : null;
}

export interface ShardsPartlyRunAgain {
  files: string[];
  /** indices of the shards written after `output` (run again since its merge) */
  newer: number[];
  /** indices of the others, which a run must run again before it merges the set over `output` */
  older: number[];
}

/**
 * A complete set of shard files beside `output` of which some, of sweep `hash`, were written after
 * it and some not (one shard run again after the merge): shardsAfterMerge merges a set over the
 * file merged from it only where every shard was run again, so these are told, not merged.
 */
export async function shardsPartlyAfterMerge(output: string, hash: string): Promise<ShardsPartlyRunAgain | null> {
  const set = await shardSetBeside(output);
  if (!set || set.newer.length === 0 || set.older.length === 0) return null;
  return (await shardHash(set.files[set.newer[0]])) === hash ? set : null;
}

/** A complete set of shard files beside `output` (there), each told as written after it or not; or null. */
async function shardSetBeside(output: string): Promise<ShardsPartlyRunAgain | null> {
  if (!existsSync(output)) return null;
  const merged = statSync(output).mtimeMs;
  const files = await shardSet(output);
  if (!files) return null;
  const after = files.map((f) => statSync(f).mtimeMs > merged);
  const which = (newer: boolean) => after.flatMap((a, i) => (a === newer ? [i] : []));
  return { files, newer: which(true), older: which(false) };
}

/**
 * The spec hash a shard file or its journal was written under, from the file's footer or the
 * journal's first message (a few small reads, where reading a shard of 250,000 rows, 232 MB,
 * whole took 18 s); undefined where it cannot tell. A shard whose metadata reads is that sweep's
 * even where its rows are damaged: what reads them (the merge, the shard's resume) says so. A
 * footer whose framing is damaged but which Arrow reads (its closing magic, a block's metadata
 * length: bytes Arrow's reader does not use) is read whole and told the same way, its rows'
 * digest left to what reads them: the merge then names their damage, where telling the file as
 * nobody's would hide shards run again after a merge behind the older merged file.
 */
export async function shardHash(file: string): Promise<string | undefined> {
  try {
    if (existsSync(file)) return (await readResultsHead(file)).metadata.specHash;
    return (await readJournalHead(journalPath(file)))?.specHash;
  } catch {
    return undefined; // a damaged file or journal: the merge, or the shard's own resume, says so
  }
}

export interface IncompleteShards {
  count: number;
  /** indices of shards with a journal and no finished file: running, or interrupted */
  unfinished: number[];
  /** indices of shards with neither */
  missing: number[];
}

/**
 * Shard files or journals of this sweep (`hash`) beside `output` that are not yet a complete set
 * (a merge run started before every shard finished), or null. A sweep run whole there would run
 * every row of theirs again and leave them unmerged.
 */
export async function incompleteShards(output: string, hash: string): Promise<IncompleteShards | null> {
  const counts = [...new Set((await shardNames(output, true)).map((s) => s.count))];
  for (const n of counts) {
    const files = shardFiles(output, n);
    const state = files.map((f) =>
      existsSync(f) ? 'finished' : existsSync(journalPath(f)) ? 'unfinished' : 'missing',
    );
    if (state.every((s) => s === 'missing') || state.every((s) => s === 'finished')) continue;
    const hashes = await Promise.all(files.filter((_, i) => state[i] !== 'missing').map(shardHash));
    if (!hashes.includes(hash)) continue;
    const indices = (which: string) => state.flatMap((s, i) => (s === which ? [i] : []));
    return { count: n, unfinished: indices('unfinished'), missing: indices('missing') };
  }
  return null;
}
