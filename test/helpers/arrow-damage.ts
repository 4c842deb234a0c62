// Damage to an Arrow IPC file of the kind a flipped byte makes, built on purpose.
import { readFileSync, writeFileSync } from 'node:fs';

import { RecordBatchReader } from 'apache-arrow';

/**
 * Flips a byte of `file` where the float64 `value` lies, the only place it does (a row's value: the
 * footer and metadata untouched, so the file reads, and its digest refuses it).
 */
export function flipValue(file: string, value: number): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(doubleBytes(value));
  if (at < 0 || bytes.indexOf(doubleBytes(value), at + 1) >= 0)
    throw new Error(`${value} is not in ${file} exactly once`);
  bytes[at] ^= 0xff;
  writeFileSync(file, bytes);
}

const doubleBytes = (value: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return b;
};

/** Arrow's MessageHeader: which kind of message a Message flatbuffer says it is. */
export const MESSAGE_HEADER = { Schema: 1, DictionaryBatch: 2, RecordBatch: 3 } as const;

/**
 * A copy of the Arrow file `bytes` whose first record batch's message says it is of kind `kind`
 * instead: apache-arrow's own file reader then reads that block again and again, forever.
 */
export function firstBatchSaysItIs(bytes: Uint8Array, kind: number): Buffer {
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  if (!reader.isFile() || reader.numRecordBatches === 0) throw new Error('not an Arrow file with record batches');
  const out = Buffer.from(bytes);
  // The message: a continuation marker (0xFFFFFFFF), its length, then the Message flatbuffer.
  const fb = Number(reader.footer!.getRecordBatch(0)!.offset) + 8;
  const table = fb + out.readUInt32LE(fb);
  const vtable = table - out.readInt32LE(table);
  // Message's fields: version, header_type, header, bodyLength, custom_metadata.
  const headerTypeAt = out.readUInt16LE(vtable + 4 + 2 * 1);
  if (headerTypeAt === 0) throw new Error('the message stores no header_type');
  if (out[table + headerTypeAt] !== MESSAGE_HEADER.RecordBatch)
    throw new Error('the first block is not a record batch');
  out[table + headerTypeAt] = kind;
  return out;
}

/** The position of field `index` of the flatbuffer table at `table` in `b`, or 0 where it is absent. */
function fieldAt(b: Buffer, table: number, index: number): number {
  const vtable = table - b.readInt32LE(table);
  const at = vtable + 4 + 2 * index < vtable + b.readUInt16LE(vtable) ? b.readUInt16LE(vtable + 4 + 2 * index) : 0;
  return at === 0 ? 0 : table + at;
}

/** The table or vector an offset field at `at` points to. */
const target = (b: Buffer, at: number) => at + b.readUInt32LE(at);

/**
 * A copy of the Arrow file `bytes` whose footer's schema says it has `count` metadata entries:
 * apache-arrow's decoder loops that many times, over bytes that are not there.
 */
export function schemaMetadataCountSays(bytes: Uint8Array, count: number): Buffer {
  const out = Buffer.from(bytes);
  const footerLength = out.readInt32LE(out.length - 10);
  const footer = out.length - 10 - footerLength;
  const footerTable = target(out, footer);
  // Footer: version, schema, dictionaries, recordBatches, custom_metadata; Schema: endianness, fields, custom_metadata.
  const schema = target(out, fieldAt(out, footerTable, 1));
  const metadata = fieldAt(out, schema, 2);
  if (metadata === 0) throw new Error("the footer's schema has no metadata");
  out.writeUInt32LE(count, target(out, metadata));
  return out;
}
