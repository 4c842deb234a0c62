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
    throw new ResultsError(`cannot read results file ${path}: ${(e as Error).message}`);
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new ResultsError(`${path} is not an Arrow IPC file: ${(e as Error).message}`);
  }
  const metadata = decodeMetadata(table.schema.metadata, path);
  return { metadata, records: tableToRecords(table), table };
}
