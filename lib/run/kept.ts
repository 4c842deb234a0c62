// The rows a --resume would keep, read before it runs so that a plan of the resume prices only
// the rows left: the journal (or finished file) at the sweep's output and, for a sweep split
// over --devices, each device's shard file or journal. Read only: nothing is locked, cut or
// removed; an output a live run holds is refused, as the resume would refuse it.
import { existsSync } from 'node:fs';

import {
  checkSameSweep,
  isJournal,
  journalPath,
  SCHEMA_VERSION,
  readJournal,
  readResults,
  type ResultMetadata,
  type Results,
  type StoredMetadata,
} from '../results/index.js';
import { parseSpec, specHash, type Shard, type SweepSpec, type SweepSpecInput } from '../spec/index.js';
import { VERSION } from '../version.js';
import { targetFilesOf } from './metadata.js';
import { refuseIfLocked } from './lock.js';
import { mergedRows, type MergeFile } from './merge.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import { checkBoolean, specObject } from './run-options.js';
import { deviceCount, shardFile } from './shards.js';
import { namingShard } from './shards-told.js';
import { sweepStart, type StartOptions } from './start.js';
import { eachYielding } from '../io/each-yielding.js';
import { ArgumentError } from '../io/argument-error.js';

export interface KeptFile {
  path: string;
  metadata: StoredMetadata;
  /** the shard a resume writing this file runs (a device's, or the spec's own) */
  shard?: Shard;
}

export interface KeptRows {
  /** ids of the rows finished in those files */
  rowIds: Set<string>;
  /** the files read; a resume refuses any of another spec, model or targets file, and so does the plan */
  files: KeptFile[];
  /**
   * journals without a readable schema: a resume starts one over only where it is a prefix of the
   * schema it writes (a kill while writing it), and refuses any other; so does the plan
   */
  unreadable?: Omit<KeptFile, 'metadata'>[];
  /** shard files beside the output that the run merges into it instead of running any row */
  mergedShards?: number;
}

/** What `runSweep(spec, { resume: true })` would find finished, without running it. */
export async function keptRows(given: SweepSpecInput): Promise<KeptRows> {
  // A spec a script wrote by hand is read as runSweep reads it: its output, shard and devices filled in and checked.
  const spec = parseSpec(specObject('keptRows', given));
  const devices = deviceCount(spec);
  const n = devices > 1 ? devices : 0;
  const outputs: Array<{ out: string; shard?: Shard }> = [
    { out: spec.output, shard: spec.shard },
    ...Array.from({ length: n }, (_, i) => ({ out: shardFile(spec.output, i, n), shard: { index: i, count: n } })),
  ];
  const kept: KeptRows = { rowIds: new Set(), files: [] };
  for (const { out, shard } of outputs) {
    // A run writing it now: the resume would be refused, and the calibration would share its device.
    await refuseIfLocked(out);
    const { path, read } = await finishedAt(out);
    if (!read && path) (kept.unreadable ??= []).push({ path, shard });
    if (!read) continue;
    refuseOtherSweep(path!, read.metadata, spec, shard);
    kept.files.push({ path: path!, metadata: read.metadata, shard });
    await eachYielding(read.records, (r) => kept.rowIds.add(r.rowId));
  }
  return kept;
}

/**
 * A journal or file the resume would refuse, refused as it would be (another spec, targets file,
 * shard; a journal of another version or schema): its rows are not kept. The model's identity
 * needs the model, which only the run or its plan loads; the plan checks it with checkKeptFile.
 */
function refuseOtherSweep(path: string, stored: StoredMetadata, spec: SweepSpec, shard: Shard | undefined): void {
  const run = { ...stored, spec, specHash: specHash(spec), targetFiles: targetFilesOf(spec), shard, version: VERSION };
  checkKeptFile({ path, metadata: stored }, run);
}

/**
 * Refuses `file` where a resume in a run whose metadata is `run` would (checkSameSweep). A
 * finished file of an older results schema is read as it is: the resume hands its rows back
 * (lib/run/start.ts); only a journal, which the run would append to, must be of this schema.
 */
export function checkKeptFile(file: Pick<KeptFile, 'path' | 'metadata'>, run: ResultMetadata): void {
  const stored = isJournal(file.path) ? file.metadata : { ...file.metadata, schemaVersion: SCHEMA_VERSION };
  checkSameSweep(stored, run, file.path);
}

/**
 * What a resume of `out` continues: its journal, else its finished file (`path`, absent when there
 * is neither), and what it holds (null for a journal without a readable schema). The journal
 * first: it is what a resume continues when both are there (an --overwrite under way).
 */
export async function finishedAt(
  out: string,
): Promise<{ path?: string; read: Pick<Results, 'metadata' | 'records'> | null }> {
  const journal = journalPath(out);
  if (existsSync(journal)) return { path: journal, read: await readJournal(journal) };
  return existsSync(out) ? { path: out, read: await readResults(out) } : { read: null };
}

/** keptAtStart's options, as the compiler checks them against its type. */
const KEPT_AT_START_OPTIONS: Record<keyof Pick<StartOptions, 'resume' | 'overwrite'>, true> = {
  resume: true,
  overwrite: true,
};

/**
 * What a run of `spec` with these options keeps, as its start decides (lib/run/start.ts, read
 * only): refused where the run would refuse (an output in the way, shard files not all
 * finished); every row of the shard files it would merge; a resume's rows (keptRows); or
 * undefined where it runs every row. A plan prices the command it is given, not another.
 */
export async function keptAtStart(
  given: SweepSpecInput,
  options: Pick<StartOptions, 'resume' | 'overwrite'> = {},
): Promise<KeptRows | undefined> {
  const spec = parseSpec(specObject('keptAtStart', given));
  // As runSweep checks them: a misspelt or non-boolean option would price another run than the one meant.
  refuseUnknownKeys('keptAtStart', options, KEPT_AT_START_OPTIONS, (m) => new ArgumentError(m));
  for (const field of ['resume', 'overwrite']) checkBoolean('keptAtStart', options as Record<string, unknown>, field);
  // A run writing the output now: this command would be refused (its lock), naming that run,
  // where the output's files would otherwise be told as left by an interrupted one.
  await refuseIfLocked(spec.output);
  const start = await sweepStart(spec, { ...options, readOnly: true });
  if (start.state === 'mergeable') {
    // sweepStart told their spec from the first one's footer alone: the merge refuses what else
    // it finds (a shard of another model, targets file or version, rows missing or twice), and so
    // does its plan, from the same reads. Each file is read once.
    const files: MergeFile[] = [];
    for (const path of start.shards)
      files.push({
        path,
        ...(await readResults(path).catch((e: unknown) => {
          throw namingShard(e, spec.output, start.shards);
        })),
      });
    const kept: KeptRows = { rowIds: new Set(), files: [], mergedShards: start.shards.length };
    await eachYielding(mergedRows(files).records, (r) => kept.rowIds.add(r.rowId));
    return kept;
  }
  return options.resume ? keptRows(spec) : undefined;
}
