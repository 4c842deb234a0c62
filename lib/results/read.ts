// Reading finished results files.

import { readFile } from 'node:fs/promises';
import { tableFromIPC, type Table } from 'apache-arrow';
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
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new ResultsError(`cannot read results file ${path}: ${why}`);
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    // Arrow's own words ("Expected to read N metadata bytes") say nothing about what the file is.
    const why = `not Arrow IPC, or truncated: ${(e as Error).message}`;
    throw new ResultsError(`${path} is not a results file (${why}); give the .arrow file a sweep or merge wrote`);
  }
  if (table.schema.fields.length === 0) {
    throw new ResultsError(
      `${path} is not a results file (no Arrow schema in it); give the .arrow file a sweep or merge wrote`,
    );
  }
  const metadata = decodeMetadata(table.schema.metadata, path);
  return { metadata, records: tableToRecords(table), table };
}
