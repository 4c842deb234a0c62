// What a file at an output holds, read from its head (and an Arrow file's footer schema alone: a
// results file may be gigabytes): what a command may replace there depends on it.
import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader } from 'apache-arrow';

import { opensAsFile, opensAsStream } from './arrow-framing.js';

/**
 * 'results' (an Arrow file with the results' rowId column), 'targets' (one with the `target`
 * column `distprompt targets` writes), 'arrow' (another Arrow file, or one whose footer does not
 * read), 'journal' (an Arrow stream of results, or one cut before its schema, as a sweep's `.partial`), 'empty', 'other' (not Arrow: JSON,
 * safetensors, a page) or 'nothing' (no file that opens).
 */
export type OutputHolds = 'results' | 'targets' | 'arrow' | 'journal' | 'empty' | 'other' | 'nothing';

export async function outputHolds(path: string): Promise<OutputHolds> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return 'nothing';
  }
  try {
    const buffer = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.length === 0) return 'empty';
    const stream = opensAsStream(head);
    if (!stream && !opensAsFile(head)) return 'other';
    const names = await schemaNames(fh);
    // A stream is a sweep's journal unless its schema (its first message) says otherwise: pyarrow
    // writes targets as a stream too. One whose schema does not read is kept as a journal cut short.
    if (stream) return !names || names.has('rowId') ? 'journal' : names.has('target') ? 'targets' : 'arrow';
    // A damaged footer is 'arrow': the reader of the file says what is wrong with it.
    return names?.has('rowId') ? 'results' : names?.has('target') ? 'targets' : 'arrow';
  } catch {
    return 'nothing'; // a folder, or unreadable: the caller's own checks name it
  } finally {
    await fh.close();
  }
}

/** The column names of an Arrow file's footer or a stream's first message; undefined where they do not read. */
async function schemaNames(fh: FileHandle): Promise<Set<string> | undefined> {
  try {
    const reader = await RecordBatchReader.from(fh);
    await reader.open();
    return new Set(reader.schema.fields.map((f) => f.name));
  } catch {
    return undefined;
  }
}
