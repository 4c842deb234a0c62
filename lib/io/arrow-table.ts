// An Arrow IPC file or stream read into a table, where a damaged file fails in a moment rather
// than hangs. apache-arrow trusts the file's metadata, which no checksum guards; two ways one
// flipped byte of a 10 KB results file kept it reading for good:
// - tableFromIPC reads a file's record batches in a loop that moves to the footer's next block
//   only after a record batch: where a block's message says it is a schema or a dictionary batch,
//   it reads that same block again, forever. Reading each block by its index asks for a record
//   batch there, and Arrow throws where the message is another.
// - A flatbuffer vector's length (the schema's fields, its custom metadata, the footer's blocks)
//   read as 2^31 makes Arrow's decoder loop that many times over bytes that are not there. A vector
//   of n elements takes at least n bytes after its length, so while a file is read every length
//   past the buffer's end is refused (the check a flatbuffers verifier makes, which the
//   JavaScript flatbuffers lacks).
import { RecordBatchReader, Table, type RecordBatch } from 'apache-arrow';
import { ByteBuffer } from 'flatbuffers';

/** `read()` with every flatbuffer vector length it meets checked against its buffer's end. */
export function vectorsWithinBuffers<T>(read: () => T): T {
  const proto = ByteBuffer.prototype;
  const length = Object.getOwnPropertyDescriptor(proto, '__vector_len')!;
  const own = proto.__vector_len;
  proto.__vector_len = function (this: ByteBuffer, offset: number): number {
    const n = own.call(this, offset);
    const elements = offset + this.readInt32(offset) + 4;
    if (n < 0 || elements + n > this.capacity())
      throw new Error(`a length in its metadata (${n}) runs past the end of the file's bytes: it is damaged`);
    return n;
  };
  try {
    return read();
  } finally {
    Object.defineProperty(proto, '__vector_len', length);
  }
}

/** The table in `bytes` (an Arrow IPC file or stream); throws Arrow's error where they are not one. */
export function arrowTable(bytes: Uint8Array): Table {
  return vectorsWithinBuffers(() => {
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
  });
}
