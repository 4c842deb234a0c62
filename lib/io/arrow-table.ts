// An Arrow IPC file or stream read into a table, where a damaged file fails rather than hangs.
// apache-arrow's own tableFromIPC reads a file's record batches in a loop that seeks the footer's
// next block only after a record batch: where a flipped byte makes a block's message a schema or
// a dictionary batch, it reads that same block again forever (one byte of a 10 KB results file was
// enough). Reading each block by its index asks for a record batch there, and Arrow throws
// where the message is another.
import { RecordBatchReader, Table, type RecordBatch } from 'apache-arrow';

/** The table in `bytes` (an Arrow IPC file or stream); throws Arrow's error where they are not one. */
export function arrowTable(bytes: Uint8Array): Table {
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  if (!reader.isFile()) return new Table(reader.schema, [...reader]);
  const batches: RecordBatch[] = [];
  for (let i = 0; i < reader.numRecordBatches; i++) {
    const batch = reader.readRecordBatch(i);
    if (!batch) throw new Error(`record batch ${i + 1} of ${reader.numRecordBatches} is missing from the file`);
    batches.push(batch);
  }
  return new Table(reader.schema, batches);
}
