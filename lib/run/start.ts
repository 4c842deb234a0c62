// How a sweep starts, decided once for `sweep` and `study` alike from what lies at its output:
// a finished results file of the same spec is read, not rerun; a complete set of shard files
// (from --shard runs or device workers) is merged, over the output where each was written after
// it; an interrupted run continues (--resume); otherwise the sweep starts fresh, and an output
// already there is refused unless overwritten.
import { existsSync } from 'node:fs';

import { onCommandLine, option, said, type Said } from '../io/said.js';
import {
  checkSameSweep,
  journalPath,
  OutputTakenError,
  readJournalHead,
  readResults,
  readResultsHead,
  ResultsError,
  ResumeStopped,
  ResultWriter,
  ResumeMismatchError,
  shardDifference,
  type ResultMetadata,
  type Results,
  type StoredMetadata,
} from '../results/index.js';
import { sweepDifferences } from '../results/same-sweep.js';
import { identityAtHand } from '../model/identity.js';
import { specHash, type SweepSpec } from '../spec/index.js';
import { runHolding } from './lock.js';
import { targetFilesOf } from './metadata.js';
import {
  checkShardNames,
  deviceCount,
  incompleteShards,
  refuseOtherShardCounts,
  shardFile,
  shardHash,
  shardsAfterMerge,
  shardsPartlyAfterMerge,
  shardSet,
  type IncompleteShards,
  type ShardsPartlyRunAgain,
} from './shards.js';
import { ShardsRunAgainError } from './shards-told.js';

export type SweepStart =
  /**
   * the output holds this spec's finished results (only with resume); `runAgain`: shard files
   * beside it, some run again since it was merged from them, whose rows it is read without
   */
  | { state: 'finished'; results: Results; runAgain?: ShardsPartlyRunAgain }
  /**
   * no output yet, and beside it every shard file of this spec (told from the first one's footer):
   * merge them; `replaces`: an output older than every one of them, which their merge replaces
   */
  | { state: 'mergeable'; shards: string[]; replaces?: true }
  /** continue the journal, or the finished rows of the output (a journal is started if none) */
  | { state: 'resumable' }
  /** nothing to keep: start a new journal (an existing output only with overwrite) */
  | { state: 'fresh' };

export interface StartOptions {
  resume?: boolean;
  overwrite?: boolean;
  /** decide without changing anything (a plan): a killed finish's temporaries are left */
  readOnly?: boolean;
  /** the identity of the model the run was given loaded (runSweep's `model`), not read from its name */
  modelIdentity?: string;
  /** stops the decode of a finished output's rows (a ResumeStopped: the file is unchanged) */
  signal?: AbortSignal;
}

export async function sweepStart(spec: SweepSpec, options: StartOptions = {}): Promise<SweepStart> {
  const out = spec.output;
  // Every shard run again after the merge that wrote `out` (with --overwrite, on a cluster or on a
  // study's device workers): their merge replaces it, where reading it as finished would hide them.
  const after =
    !spec.shard && !options.overwrite && !existsSync(journalPath(out)) && (await shardsAfterMerge(out, specHash(spec)));
  // The output's name and folder first (a killed finish's temporaries go); an output or journal
  // in the way without resume / overwrite throws OutputTakenError.
  try {
    await ResultWriter.check(out, after ? { ...options, resume: true } : options);
  } catch (e) {
    if (!(e instanceof OutputTakenError && e.finished) || spec.shard) throw e;
    // Some shards run again after the merge, not all: what keeps them from being merged is told.
    const partly = await shardsPartlyAfterMerge(out, specHash(spec));
    throw partly ? new ShardsRunAgainError(out, partly) : e;
  }
  if (after) return { state: 'mergeable', shards: after, replaces: true };
  if (!spec.shard && !options.overwrite && !existsSync(out) && !existsSync(journalPath(out))) {
    const shards = await shardSet(out);
    // Shards of another spec (an edited study) are not this sweep's: it runs afresh instead. A
    // first shard whose footer does not tell is read whole, and refused as the merge would refuse it.
    const hash = shards && ((await shardHash(shards[0])) ?? (await readResults(shards[0])).metadata.specHash);
    if (shards && hash === specHash(spec)) return { state: 'mergeable', shards };
    // Some of this sweep's shards, not all finished (a sweep on several devices makes and resumes its own).
    const part = deviceCount(spec) > 1 ? null : await incompleteShards(out, specHash(spec));
    if (part) throw new ResultsError(await incompleteMessage(out, part));
  }
  // A resume of another spec is refused before the model loads and the rows are planned (seconds
  // for a large sweep), in the words of the resume that would refuse it, from the metadata of what
  // it would continue: the journal, where there is one, else the finished file (below). A plan
  // (readOnly) leaves it to its own check of the resume; each device's worker checks its own shard.
  const refuseNow = options.resume === true && !options.overwrite && !options.readOnly && deviceCount(spec) === 1;
  if (refuseNow && existsSync(journalPath(out))) {
    const stored = await readJournalHead(journalPath(out));
    if (stored && stored.specHash !== specHash(spec)) {
      const identity = options.modelIdentity ?? (await identityAtHand(spec.model));
      checkSameSweep(stored, thisRun(stored, spec, identity), journalPath(out));
    }
  }
  if (options.resume && !options.overwrite && existsSync(out)) {
    // Its metadata first, from its footer (a few small reads): its rows are read and decoded
    // (seconds for a large file) only where they are this sweep's.
    const head = await readResultsHead(out);
    if (head.metadata.specHash === specHash(spec)) {
      // The model as it is now, from its files: rows of other weights under its name are not its.
      const identity = options.modelIdentity ?? (await identityAtHand(spec.model));
      refuseOtherRows(out, head, spec, identity);
      const results = await readResults(out, options.signal).catch((e: unknown) => {
        throw options.signal?.aborted ? new ResumeStopped(out, head.rows) : e;
      });
      // Shards run again after the merge, not all: kept without them, as resume asks, and told (runSweep).
      const runAgain = spec.shard ? null : await shardsPartlyAfterMerge(out, specHash(spec));
      return { state: 'finished', results, ...(runAgain ? { runAgain } : {}) };
    }
    // Another spec, and no journal that the resume would continue instead: refused now (8.9 s for
    // 500,000 rows when the model had loaded and the rows were planned first).
    if (refuseNow && !existsSync(journalPath(out))) {
      const identity = options.modelIdentity ?? (await identityAtHand(spec.model));
      checkSameSweep(head.metadata, thisRun(head.metadata, spec, identity), out);
    }
  }
  if (deviceCount(spec) > 1) await checkDeviceShards(spec, options);
  return options.resume ? { state: 'resumable' } : { state: 'fresh' };
}

/**
 * The shard files a run over `--devices` has its workers write: each is refused as its worker
 * would refuse it (a journal or file in the way without --resume / --overwrite), and so are those of
 * a split into another count, here, before any worker starts, in the words the worker would use,
 * and by the plan of the run.
 */
async function checkDeviceShards(spec: SweepSpec, options: StartOptions): Promise<void> {
  const n = deviceCount(spec);
  checkShardNames(spec.output, n);
  if (!options.overwrite) await refuseOtherShardCounts(spec.output, n, options.resume === true);
  for (let i = 0; i < n; i++) await ResultWriter.check(shardFile(spec.output, i, n), options);
}

/**
 * A finished file of the same spec is handed back as this run's rows only where they are: a
 * model whose files changed since it ran (`identity`; null where it cannot be read without
 * loading or downloading it), a targets file changed since, or another shard of the sweep (a
 * shard's file resumed whole, or as another shard), would hand back other rows, or half of them,
 * as done. Refused as a journal's resume is, in its words, as the plan of it refuses them.
 */
function refuseOtherRows(
  out: string,
  { metadata }: Pick<Results, 'metadata'>,
  spec: SweepSpec,
  identity: string | null,
): void {
  const problems = [
    ...sweepDifferences({ metadata, name: out }, { metadata: thisRun(metadata, spec, identity), name: 'this run' }),
    ...shardDifference(metadata.shard, spec.shard),
  ];
  if (problems.length) throw new ResumeMismatchError(`cannot resume from ${out}: ${problems.join('; ')}`, false);
}

/**
 * The metadata this run would write, as far as it is known before its model loads (`identity`:
 * its files' hash, null where unknown), to compare a file it would continue against: what only
 * the loaded model tells (its build, vocabulary size) is taken from `stored`.
 */
function thisRun(stored: StoredMetadata, spec: SweepSpec, identity: string | null): ResultMetadata {
  return {
    spec,
    // Named as loadModel names it (its argument) where the spec names another model.
    model: {
      name: spec.model === stored.spec.model ? stored.model.name : spec.model,
      hash: identity ?? stored.model.hash,
    },
    vocabSize: stored.vocabSize,
    version: stored.version,
    build: stored.build,
    ...(spec.shard ? { shard: spec.shard } : {}),
    targetFiles: targetFilesOf(spec),
  };
}

/** What a run that would merge `out`'s shards says when some have not finished, and what to do. */
async function incompleteMessage(out: string, p: IncompleteShards): Promise<Said> {
  const file = (i: number) => shardFile(out, i, p.count);
  // A shard that is running is named with its process: it is waited for, not resumed.
  const unfinished = await Promise.all(
    p.unfinished.map(async (i) => {
      const by = await runHolding(file(i));
      return by
        ? `${file(i)} is being written by ${by} (shard ${i}/${p.count}: wait for it to finish)`
        : `${file(i)} has not finished (shard ${i}/${p.count}: interrupted)`;
    }),
  );
  const told = [...unfinished, ...p.missing.map((i) => `${file(i)} is missing (shard ${i}/${p.count} has not run)`)];
  return said`${out}: shard files of this sweep are beside it, but not every one of the ${p.count} has finished: ${told.join('; ')}. Run each (${option('shard', `i/${p.count}`)}, with ${option('resume', true)} where one was interrupted), then ${onCommandLine('this command', 'this call')} again to merge them; or pass ${option('overwrite', true)} to run the whole sweep here instead`;
}
