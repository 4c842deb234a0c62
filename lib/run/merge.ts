// Joins shard files into one results file, after checking they are shards of one sweep that
// together hold every planned row exactly once. It re-plans the sweep from the spec the files
// store, so it lives with the runs, not in the storage layer.
import { option, said } from '../io/said.js';
import { existsSync, statSync } from 'node:fs';

import { fileError } from '../io/fs-error.js';
import { writeAtomic } from '../results/files.js';
import {
  DataChangedError,
  orderRecords,
  readResults,
  resultFileBytes,
  ResultsError,
  ResultWriter,
  type ResultMetadata,
  type Results,
  type StoredRunRecord,
} from '../results/index.js';
import { sweepDifferences } from '../results/same-sweep.js';
import { refuseUnknownKeys, shown } from '../spec/fields.js';
import { parseSpec, SpecError, type SweepSpec } from '../spec/index.js';
import { planSweep, type PlanOptions } from '../sweep/index.js';
import { targetFileCount } from '../targets/file.js';
import { TargetError } from '../model/target-error.js';
import { VERSION } from '../version.js';
import { lockOutput } from './lock.js';
import { namingShard } from './shards-told.js';
import { checkBoolean } from './run-options.js';
import { ArgumentError } from '../io/argument-error.js';

export interface MergeOptions {
  /**
   * The rows the sweep plans, in order. Default: re-planned from the spec and vocabulary size
   * stored in the files (pass `plan` options for `file` targets, whose counts need the file).
   */
  expectedRowIds?: readonly string[] | undefined;
  plan?: PlanOptions | undefined;
  /** Write the merge even when planned rows are missing (they are still reported). */
  allowMissing?: boolean | undefined;
  /** Replace an existing `out` (default: refuse, as a sweep does). */
  overwrite?: boolean | undefined;
}

export interface MergeReport {
  out: string;
  rows: number;
  /** Planned rows no shard holds (only non-empty with allowMissing). */
  missing: string[];
}

type ShardOf = { path: string; metadata: { shard?: { index: number; count: number } } };

/** The shards of one split that the files lack, where each is a shard of the same count: those to run or give. */
function absentShards(files: readonly ShardOf[]): string | undefined {
  const count = files[0].metadata.shard?.count;
  if (count === undefined || files.some((f) => f.metadata.shard?.count !== count)) return undefined;
  const given = new Set(files.map((f) => f.metadata.shard!.index));
  const absent = Array.from({ length: count }, (_, i) => i).filter((i) => !given.has(i));
  if (absent.length === 0) return undefined;
  const names = absent.map((i) => `${i}/${count}`).join(', ');
  return absent.length === 1 ? `shard ${names} is not among the files` : `shards ${names} are not among the files`;
}

/** A shard given in two files (a copy, or a rerun into another name): which, to say beside the rows. */
function repeatedShard(files: readonly ShardOf[]): string {
  const seen = new Map<string, string>();
  for (const f of files) {
    const s = f.metadata.shard;
    if (!s) continue;
    const key = `${s.index}/${s.count}`;
    const first = seen.get(key);
    if (first !== undefined) return `; ${f.path} is shard ${key}, as ${first} is: give each shard once`;
    seen.set(key, f.path);
  }
  return '';
}

const sample = (ids: readonly string[]) =>
  `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? `, … (${ids.length} in all)` : ''}`;

/** MergeOptions' fields, as the compiler checks them against the interface. */
const MERGE_OPTIONS: Record<keyof MergeOptions, true> = {
  expectedRowIds: true,
  plan: true,
  allowMissing: true,
  overwrite: true,
};

export async function mergeResults(
  paths: readonly string[],
  out: string,
  options: MergeOptions = {},
): Promise<MergeReport> {
  refuseUnknownKeys('mergeResults', options, MERGE_OPTIONS, (m) => new ArgumentError(m));
  for (const field of ['overwrite', 'allowMissing'])
    checkBoolean('mergeResults', options as Record<string, unknown>, field);
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
    throw new ArgumentError(`mergeResults: paths must be an array of results file paths, got ${shown(paths)}`);
  // An empty one is a path, and named as the output's (ResultWriter.check).
  if (typeof out !== 'string')
    throw new ArgumentError(`mergeResults: out must be the path of the merged file, got ${shown(out)}`);
  // The output's path first (a directory, a missing folder), so that its lock can be made beside it.
  await ResultWriter.check(out, { resume: true });
  // Held while reading and writing: no sweep or other merge writes `out` meanwhile.
  const lock = await lockOutput(out, 'merge');
  try {
    return await mergeUnderLock(paths, out, options);
  } finally {
    await lock.release();
  }
}

/**
 * The rows the files' sweep plans, re-planned from the spec they store. `file` targets are
 * counted in their file, read at the spec's path as the sweep read it (relative to the folder it
 * ran in).
 */
function plannedRowIds(stored: SweepSpec, vocabSize: number, plan?: PlanOptions): string[] {
  const spec = { ...stored, shard: undefined };
  try {
    return planSweep(spec, vocabSize, { fileTargetCount: targetFileCount, ...plan }).rows.map((r) => r.rowId);
  } catch (e) {
    if (!(e instanceof TargetError)) throw e;
    throw new ResultsError(
      `cannot merge: checking that the files hold every row of their sweep re-plans it, which reads its targets file, and ${e.message} (run merge in the folder the sweep ran in)`,
    );
  }
}

/**
 * The spec a file stores, as this version reads it. A file of another version may store one this
 * version does not parse (a field added or removed since): named as that, not as a spec of the user's.
 */
function storedSpec(f: MergeFile): SweepSpec {
  try {
    return parseSpec(f.metadata.spec);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const issues = e.issues.map((i) => `${i.path || '(spec)'}: ${i.message}`).join('; ');
    // Of this very version, the spec was edited after the sweep wrote it.
    const what =
      f.metadata.version === VERSION
        ? `this version wrote it, so it was changed since (${issues}): give the file as the sweep wrote it`
        : `it was written by distprompt ${f.metadata.version}, and distprompt ${VERSION} does not read it (${issues}): merge it with the distprompt that wrote it`;
    throw new ResultsError(`cannot merge ${f.path}: the sweep spec it stores is not a valid spec: ${what}`);
  }
}

/**
 * One file named twice (or by two paths) would be reported as every one of its rows appearing
 * twice; it is named as what it is. Run after the files are read, so each exists.
 */
function refuseRepeatedFiles(paths: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const path of paths) {
    const s = statSync(path);
    const first = seen.get(`${s.dev}:${s.ino}`);
    if (first !== undefined)
      throw new ResultsError(
        `cannot merge: ${path === first ? `${path} is given twice` : `${path} and ${first} are the same file`}: give each shard once`,
      );
    seen.set(`${s.dev}:${s.ino}`, path);
  }
}

/**
 * mergeUnderLock of a sweep's own shard files (its device workers', or shards run apart): a
 * merge that fails on the file system (a full disk) says the rows are safe in them, and one of
 * them whose rows are damaged is named as the shard it is, with the command that makes it again.
 */
export async function mergeSweepShards(files: readonly string[], out: string, options: MergeOptions = {}) {
  try {
    return await mergeUnderLock(files, out, options);
  } catch (e) {
    if (e instanceof DataChangedError) throw namingShard(e, out, files);
    throw fileError(
      e,
      out,
      said`every row is kept in ${files.join(', ')}: rerun with ${option('resume', true)} to merge them`,
    );
  }
}

/** mergeResults for a caller that holds `out`'s lock already (runSweep, for its whole run). */
export async function mergeUnderLock(
  paths: readonly string[],
  out: string,
  options: MergeOptions = {},
): Promise<MergeReport> {
  if (paths.length === 0) throw new ResultsError('merge needs at least one results file');
  const replace = options.overwrite === true;
  if (!replace && existsSync(out))
    throw new ResultsError(
      said`${out} already exists: choose another output, or pass ${option('overwrite', true)} to replace it`,
    );
  const files: MergeFile[] = [];
  for (const path of paths) files.push({ path, ...(await readResults(path)) });
  const { records, expected, missing } = mergedRows(files, options);

  // The merged file's spec is the whole sweep's: no shard, and the output it is written to (each
  // shard's spec names its own file, which a rerun of the merged file's spec would overwrite).
  const first = files[0];
  const { shard: _shard, ...spec } = first.metadata.spec;
  const meta: ResultMetadata = { ...first.metadata, spec: parseSpec({ ...spec, output: out }), shard: undefined };
  await writeAtomic(out, resultFileBytes(meta, orderRecords(records, expected)), { replace });
  return { out, rows: records.length, missing };
}

/** A file a merge reads: its rows and metadata, and its path to name it by. */
export type MergeFile = Results & { path: string };

export interface MergedRows {
  /** every row of the files, each once, in the files' order */
  records: StoredRunRecord[];
  /** the rows the sweep plans, in order */
  expected: readonly string[];
  /** planned rows no file holds (only non-empty with allowMissing) */
  missing: string[];
}

/**
 * The rows a merge of `files` (read already, at least one) writes, refused where the merge would
 * refuse them: files of two sweeps, models, targets files or versions, a file given twice, a row
 * in two files, a row the sweep does not plan or, without allowMissing, one no file holds. A plan
 * of a run that merges shard files checks them so, and refuses what the run would.
 */
export function mergedRows(
  files: readonly MergeFile[],
  options: Pick<MergeOptions, 'expectedRowIds' | 'plan' | 'allowMissing'> = {},
): MergedRows {
  refuseRepeatedFiles(files.map((f) => f.path));
  const first = files[0];
  for (const f of files.slice(1)) {
    const differences = sweepDifferences(
      { metadata: f.metadata, name: f.path },
      { metadata: first.metadata, name: first.path },
    );
    // One file names one version: rows computed by two would pass as one version's.
    if (f.metadata.version !== first.metadata.version)
      differences.push(
        `they were written by distprompt ${f.metadata.version} and ${first.metadata.version}: run every shard with one version`,
      );
    if (differences.length > 0)
      throw new ResultsError(`cannot merge ${f.path} with ${first.path}: ${differences.join('; ')}`);
  }

  const owner = new Map<string, string>();
  const duplicates: string[] = [];
  const records: StoredRunRecord[] = [];
  for (const f of files) {
    for (const r of f.records) {
      const prior = owner.get(r.rowId);
      if (prior !== undefined) duplicates.push(`${r.rowId} (in ${prior} and ${f.path})`);
      else {
        owner.set(r.rowId, f.path);
        records.push(r);
      }
    }
  }
  if (duplicates.length > 0)
    throw new ResultsError(
      `cannot merge: ${duplicates.length} row(s) appear in more than one file: ${sample(duplicates)}${repeatedShard(files)}`,
    );

  const stored = storedSpec(first);
  const expected = options.expectedRowIds ?? plannedRowIds(stored, first.metadata.vocabSize, options.plan);
  const planned = new Set(expected);
  const unplanned = records.filter((r) => !planned.has(r.rowId)).map((r) => r.rowId);
  if (unplanned.length > 0)
    throw new ResultsError(
      `cannot merge: ${unplanned.length} row(s) are not in the sweep's plan: ${sample(unplanned)}`,
    );
  const missing = expected.filter((id) => !owner.has(id));
  if (missing.length > 0 && !options.allowMissing) {
    throw new ResultsError(
      `cannot merge: ${missing.length} planned row(s) are in no file (${absentShards(files) ?? 'a shard missing or unfinished?'}): ${sample(missing)}`,
    );
  }
  return { records, expected, missing };
}
