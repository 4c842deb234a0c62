// Reading finished results files.

import { option, said } from '../io/said.js';
import { readFile } from 'node:fs/promises';
import type { Table } from 'apache-arrow';

import { dataDigestMismatch } from '../io/arrow-digest.js';
import { arrowReadError } from '../io/arrow-read-error.js';
import { arrowTable } from '../io/arrow-table.js';
import { unreadableWhy } from '../io/fs-error.js';
import { tableToRecords } from './convert.js';
import { decodeMetadata, ResultsError, type StoredMetadata } from './schema.js';
import type { StoredRunRecord } from './record.js';

export interface Results {
  metadata: StoredMetadata;
  records: StoredRunRecord[];
  table: Table;
}

export async function readResults(path: string): Promise<Results> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path); // the Buffer, not a copy (a copy holds the loop 0.7 s for 70 MB)
  } catch (e) {
    throw new ResultsError(`cannot read results file ${path}: ${unreadableWhy(e)}`);
  }
  // A journal (`<out>.partial`) is an Arrow stream, opening with a continuation token; a finished
  // file opens with ARROW1. Arrow reads both, so a journal still being written (or left by an
  // interrupted run) would pass for a complete sweep in a figure, a report or a merge.
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff) {
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
  // Decoded before the digest is checked, so that a column another tool wrote back as another type
  // is named as such; a decoder that fails on damaged data is told by the digest.
  let records: StoredRunRecord[];
  try {
    records = tableToRecords(table, path);
  } catch (e) {
    if (!(e instanceof ResultsError)) refuseChangedData(table, path);
    throw e;
  }
  refuseChangedData(table, path);
  return { metadata, records, table };
}

/** Refuses a file whose data differ from the digest written with them. */
function refuseChangedData(table: Table, path: string): void {
  const mismatch = dataDigestMismatch(table);
  if (mismatch)
    throw new ResultsError(
      said`${path}: ${mismatch}; restore it from a copy, or run the sweep or merge that wrote it again with ${option('overwrite', true)}`,
    );
}
