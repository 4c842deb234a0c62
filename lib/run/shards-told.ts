// What a run says of the shard files of its sweep where it cannot merge them as they are (some run
// again after the merge, not all; one whose rows are damaged), with the command that runs a shard
// again: a sweep's (its flags, with the shard file as its output) or a study's (its own command:
// it names its sweeps' shard files itself). The errors keep what they tell, so that a study says
// them again in its words (lib/run/study-refusals.ts).
import { onCommandLine, option, said, type Said } from '../io/said.js';
import { DataChangedError, OutputTakenError, ResultsError } from '../results/index.js';
import type { ShardsPartlyRunAgain } from './shards.js';

/** How a run names the command that runs shard i of n again, into its shard file `file`, and what its overwrite runs. */
export interface ShardWords {
  shard(i: number, n: number, file: string): Said;
  /** what the run with overwrite runs again here */
  whole: string;
}

export const SWEEP_WORDS: ShardWords = {
  shard: (i, n, file) =>
    said`shard ${i}/${n}: ${onCommandLine("this command's flags", 'this spec')} with ${option('shard', `${i}/${n}`)}, ${option('output', file)} (its shard file, for the output) and ${option('overwrite', true)}`,
  whole: 'the whole sweep',
};

/** Which shard files beside `out` were run again after it was merged from them, and which not. */
function whichRunAgain(p: ShardsPartlyRunAgain): Said {
  const names = (indices: number[]) => indices.map((i) => p.files[i]).join(', ');
  const was = (indices: number[]) => (indices.length === 1 ? 'was' : 'were');
  return said`of the ${p.files.length} shard files beside it ${names(p.newer)} ${was(p.newer)} written after it (run again since it was merged), but ${names(p.older)} ${was(p.older)} not`;
}

/** What to run to merge them over `out`: each other shard again, then the run. */
function runOthersAgain(out: string, p: ShardsPartlyRunAgain, words: ShardWords): Said {
  const n = p.files.length;
  const commands = p.older.map((i) => words.shard(i, n, p.files[i])).reduce((all, one) => said`${all}; ${one}`);
  return said`Run the ${p.older.length === 1 ? 'other' : `other ${p.older.length}`} again (${commands}), then ${onCommandLine('this command', 'this call')} again to merge them over ${out}`;
}

/**
 * A run over `out`, merged from shard files some of which (not all) were run again since: a run
 * merges them over it only where every one was, which it says, with each command to run.
 */
export class ShardsRunAgainError extends OutputTakenError {
  constructor(
    readonly out: string,
    readonly partly: ShardsPartlyRunAgain,
    words: ShardWords = SWEEP_WORDS,
  ) {
    super(partlyRunAgain(out, partly, words), true, out);
  }
}

/** ShardsRunAgainError's message in `words`. */
export function partlyRunAgain(out: string, p: ShardsPartlyRunAgain, words: ShardWords): Said {
  return said`${out} already exists, and ${whichRunAgain(p)}: a run merges shard files over the file merged from them only once every one of the ${p.files.length} was run again after it. ${runOthersAgain(out, p, words)}; or pass ${option('resume', true)} to keep ${out} as it is (without the rows run again), or ${option('overwrite', true)} to run ${words.whole} here`;
}

/**
 * What a resume that keeps `out` says of the shards run again after it. A warning, not a refusal:
 * resume is what the refusal offers to keep `out` as it is, and a user who typed it asked to keep
 * what is finished; what it must not do is lose the rows run again without a word.
 */
export const keptWithoutRunAgain = (out: string, p: ShardsPartlyRunAgain, words: ShardWords): Said =>
  said`${out} is kept as it is (${option('resume', true)}), without the rows of the shards run again: ${whichRunAgain(p)}. ${runOthersAgain(out, p, words)}`;

/** A shard file of the sweep being merged whose rows are damaged (its digest refuses them): which shard, and the command that makes it again. */
export class DamagedShardError extends ResultsError {
  constructor(
    readonly damage: DataChangedError,
    readonly out: string,
    readonly files: readonly string[],
    words: ShardWords = SWEEP_WORDS,
  ) {
    super(damagedShard(damage, out, files, words));
  }
}

/** DamagedShardError's message in `words`. */
export function damagedShard(damage: DataChangedError, out: string, files: readonly string[], words: ShardWords): Said {
  const i = files.indexOf(damage.path);
  const n = files.length;
  return said`${damage.path}: ${damage.mismatch}; it is shard ${i}/${n} of this sweep: restore it from a copy, or run it again (${words.shard(i, n, damage.path)}), then ${onCommandLine('this command', 'this call')} again to merge the ${n} shard files into ${out}`;
}

/** `e` as a DamagedShardError where it is the damage of one of `files`, the shard files merged into `out`; else `e`. */
export function namingShard(e: unknown, out: string, files: readonly string[]): unknown {
  return e instanceof DataChangedError && files.includes(e.path) ? new DamagedShardError(e, out, files) : e;
}
