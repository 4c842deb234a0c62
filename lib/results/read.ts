// Reading finished results files.

import { option, said } from '../io/said.js';
import { readFile } from 'node:fs/promises';
import type { Table } from 'apache-arrow';

import { dataDigestMismatchYielding } from '../io/arrow-digest.js';
import { arrowFileHead } from '../io/arrow-file-head.js';
import { opensAsStream } from '../io/arrow-framing.js';
import { arrowReadError } from '../io/arrow-read-error.js';
import { arrowTable } from '../io/arrow-table.js';
import { unreadableWhy } from '../io/fs-error.js';
import { tableToRecordsYielding } from './convert.js';
import { readJournalSchema } from './journal.js';
import { decodeMetadata, ResultsError, type StoredMetadata } from './schema.js';
import type { StoredRunRecord } from './record.js';

export interface Results {
  metadata: StoredMetadata;
  records: StoredRunRecord[];
  table: Table;
}

/**
 * A results file's rows, decoded a record batch, and a slice of its rows, per turn of the event
 * loop (a finished file of 500,000 rows takes seconds to decode); stops with `signal`'s reason at
 * the first turn after it aborts.
 */
export async function readResults(path: string, signal?: AbortSignal): Promise<Results> {
  const opened = await openResults(path, signal);
  return { ...opened, records: await resultsRecords(opened, path, signal) };
}

/** What a results file says of itself without its rows: its metadata, and how many rows it holds. */
export interface ResultsHead {
  metadata: StoredMetadata;
  rows: number;
}

/**
 * A results file's metadata and row count, read from its footer (a few small reads, where the whole
 * file is 214 MB for 500,000 rows): for a caller that decides from them alone, or before it reads
 * the rows. A file whose footer does not read as a results file's is read whole, and refused as
 * openResults refuses it.
 */
export async function readResultsHead(path: string): Promise<ResultsHead> {
  const head = await arrowFileHead(path);
  if (head && head.schema.fields.length > 0) {
    try {
      return { metadata: decodeMetadata(head.schema.metadata, path), rows: head.rows };
    } catch {
      // named below, by what the whole file turns out to be
    }
  }
  const { metadata, table } = await openResults(path);
  return { metadata, rows: table.numRows };
}

/**
 * The metadata of a sweep's journal (`<out>.partial`), from its first message alone (readJournalSchema:
 * a few hundred bytes, where the journal may be hundreds of MB); undefined where that message does
 * not read as a journal's (the resume that reads the journal names what is wrong).
 */
export async function readJournalHead(path: string): Promise<StoredMetadata | undefined> {
  const schema = await readJournalSchema(path);
  if (!schema) return undefined;
  try {
    return decodeMetadata(schema.metadata, path);
  } catch {
    return undefined;
  }
}

/**
 * A results file's metadata and table, checked as such, its rows not decoded yet (resultsRecords).
 * `signal` stops the read of the file (an AbortError).
 */
async function openResults(path: string, signal?: AbortSignal): Promise<Omit<Results, 'records'>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path, { signal }); // the Buffer, not a copy (a copy holds the loop 0.7 s for 70 MB)
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ResultsError(`cannot read results file ${path}: ${unreadableWhy(e)}`);
  }
  // A journal (`<out>.partial`) is an Arrow stream, opening with a continuation token; a finished
  // file opens with ARROW1. Arrow reads both, so a journal still being written (or left by an
  // interrupted run) would pass for a complete sweep in a figure, a report or a merge.
  if (opensAsStream(bytes)) {
    throw new ResultsError(
      said`${path} is a sweep's journal (its rows so far, written while it runs), not a finished results file: let the sweep finish, or finish an interrupted one with ${option('resume', true)}, then give the .arrow file it writes`,
    );
  }
  let table: Table;
  try {
    table = arrowTable(bytes);
  } catch (e) {
    throw new ResultsError(
      `${path} is not a results file (${arrowReadError(e)}); give the .arrow file a sweep or merge wrote`,
    );
  }
  if (table.schema.fields.length === 0) {
    throw new ResultsError(
      `${path} is not a results file (no Arrow schema in it); give the .arrow file a sweep or merge wrote`,
    );
  }
  let metadata: StoredMetadata;
  try {
    metadata = decodeMetadata(table.schema.metadata, path);
  } catch (e) {
    // `distprompt targets -o t.arrow` writes Arrow too (a `target` column no results file has): named as what it is.
    if (!table.schema.fields.some((f) => f.name === 'target')) throw e;
    throw new ResultsError(
      `${path} is a targets file (as 'distprompt targets' writes), not a results file; give the .arrow file a sweep or merge wrote`,
    );
  }
  return { metadata, table };
}

/** The rows of `openResults(path)`'s table, decoded as readResults says, then its digest checked. */
async function resultsRecords(
  { table }: Pick<Results, 'table'>,
  path: string,
  signal?: AbortSignal,
): Promise<StoredRunRecord[]> {
  // Decoded before the digest is checked, so that a column another tool wrote back as another type
  // is named as such; a decoder that fails on damaged data is told by the digest.
  let records: StoredRunRecord[];
  try {
    records = await tableToRecordsYielding(table, undefined, path, signal);
  } catch (e) {
    if (!(e instanceof ResultsError) && !signal?.aborted) await refuseChangedData(table, path, signal);
    throw e;
  }
  await refuseChangedData(table, path, signal);
  return records;
}

/** Refuses a file whose data differ from the digest written with them (checked a chunk per turn). */
async function refuseChangedData(table: Table, path: string, signal?: AbortSignal): Promise<void> {
  const mismatch = await dataDigestMismatchYielding(table, signal);
  if (mismatch) throw new DataChangedError(path, mismatch);
}

/**
 * A results file whose data differ from their digest. What it is damaged from is kept apart, so
 * that a run that knows which shard of its sweep the file is names the command that makes it again.
 */
export class DataChangedError extends ResultsError {
  constructor(
    readonly path: string,
    /** what differs, without what to do */
    readonly mismatch: string,
  ) {
    super(
      said`${path}: ${mismatch}; restore it from a copy, or run the sweep or merge that wrote it again with ${option('overwrite', true)}`,
    );
  }
}
