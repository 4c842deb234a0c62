// The crash-safe journal `<out>.partial`: an Arrow IPC *stream* (schema message, then one
// record-batch message per append), fsync'ed after every append. A kill -9 can only tear the
// last message; `scanJournal` finds the end of the last complete message so a resume reads
// everything before it and appends after it.

import { open } from 'node:fs/promises';
import { Message, RecordBatchReader, RecordBatchStreamWriter, type RecordBatch, type Schema } from 'apache-arrow';

import { EOS, messagePrefix } from '../io/arrow-framing.js';
import { vectorsWithinBuffers } from '../io/arrow-table.js';

export { EOS };

function streamBytes(schema: Schema, batch?: RecordBatch): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  if (batch) writer.write(batch);
  else writer.reset(undefined, schema);
  writer.finish();
  return writer.toUint8Array(true);
}

/** The schema message alone (what a new journal starts with). */
export function schemaMessage(schema: Schema): Uint8Array {
  const bytes = streamBytes(schema);
  return bytes.subarray(0, bytes.length - EOS.length);
}

/** Each schema's message, encoded once: a sweep appends hundreds of batches under one schema. */
const schemaHeads = new WeakMap<Schema, Uint8Array>();

/**
 * The record-batch message alone, cut out of a one-batch stream. Arrow writes the schema the same
 * way every time, so the stream is [schema message][batch message][EOS]; checked, not assumed.
 */
export function batchMessage(schema: Schema, batch: RecordBatch): Uint8Array {
  let head = schemaHeads.get(schema);
  if (!head) schemaHeads.set(schema, (head = schemaMessage(schema)));
  const bytes = streamBytes(schema, batch);
  for (let i = 0; i < head.length; i++) {
    if (bytes[i] !== head[i]) throw new Error('internal: Arrow wrote a different schema message for a batch stream');
  }
  return bytes.subarray(head.length, bytes.length - EOS.length);
}

export interface JournalScan {
  /** Byte offset just past the schema message; 0 when even the schema is torn. */
  schemaEnd: number;
  /** Byte offset just past the last complete message: everything after it is a torn tail. */
  goodEnd: number;
  /** Complete record-batch messages. */
  batches: number;
  /** Rows in those messages. */
  rows: number;
  /** Bytes after goodEnd (a torn message) that a resume discards. */
  tornBytes: number;
}

/** Walks the messages' framing (lib/io/arrow-framing.ts), their metadata giving each body's length. */
export function scanJournal(bytes: Uint8Array): JournalScan {
  const walk = framing(bytes.length);
  let step = walk.next();
  while (!step.done) {
    const [at, length] = step.value;
    step = walk.next(bytes.subarray(at, at + length));
  }
  return step.value;
}

/**
 * The schema a journal starts with, from its first message alone (a few hundred bytes, where the
 * journal may be hundreds of MB): whose sweep it is, known before its rows are read. Null where the
 * file does not start with a whole schema message (the resume that reads it says what it is).
 */
export async function readJournalSchema(path: string): Promise<Schema | null> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return null;
  try {
    const size = (await fh.stat()).size;
    const read = async (at: number, length: number): Promise<Uint8Array | null> => {
      if (length <= 0 || at + length > size) return null;
      const { buffer, bytesRead } = await fh.read(new Uint8Array(length), 0, length, at);
      return bytesRead === length ? buffer : null;
    };
    const head = await read(0, 8);
    if (!head) return null;
    const prefix = messagePrefix(head);
    const metadata = await read(prefix.size, prefix.metadataLength);
    if (!metadata) return null;
    const message = vectorsWithinBuffers(() => Message.decode(metadata));
    return message.isSchema() ? message.header() : null;
  } catch {
    return null; // garbage where a schema should be
  } finally {
    await fh.close();
  }
}

/**
 * scanJournal of the file at `path`, reading only the messages' framing and metadata (a few hundred
 * bytes a batch, not the whole journal): a resume knows what the journal holds before it reads the
 * rest, which a Ctrl-C may then stop. Stops with `signal`'s reason between two reads.
 */
export async function scanJournalFile(path: string, signal?: AbortSignal): Promise<JournalScan> {
  const fh = await open(path, 'r');
  try {
    const walk = framing((await fh.stat()).size);
    let step = walk.next();
    while (!step.done) {
      signal?.throwIfAborted();
      const [at, length] = step.value;
      const { buffer, bytesRead } = await fh.read(new Uint8Array(length), 0, length, at);
      step = walk.next(buffer.subarray(0, bytesRead));
    }
    return step.value;
  } finally {
    await fh.close();
  }
}

/**
 * The walk of a journal of `size` bytes: it yields the [offset, length] of the bytes it reads next
 * and is given them, so that bytes in memory and a file are walked alike.
 */
function* framing(size: number): Generator<[number, number], JournalScan, Uint8Array> {
  let offset = 0;
  let schemaEnd = 0;
  let batches = 0;
  let rows = 0;
  while (offset + 8 <= size) {
    const { size: header, metadataLength } = messagePrefix(yield [offset, 8]);
    if (metadataLength <= 0) break; // EOS, or zeros a crashed filesystem left behind
    const metaEnd = offset + header + metadataLength;
    if (metaEnd > size) break;
    const metadata = yield [offset + header, metadataLength];
    let message: Message;
    try {
      message = vectorsWithinBuffers(() => Message.decode(metadata));
    } catch {
      break; // garbage where metadata should be: a torn write
    }
    const end = metaEnd + Number(message.bodyLength);
    if (end > size) break;
    if (message.isSchema()) {
      if (schemaEnd !== 0) break; // a second schema cannot be part of this journal
      schemaEnd = end;
    } else if (message.isRecordBatch()) {
      if (schemaEnd === 0) break;
      batches++;
      rows += message.header().length;
    } else {
      break; // dictionary batches are never written by distprompt
    }
    offset = end;
  }
  const goodEnd = schemaEnd === 0 ? 0 : offset;
  return { schemaEnd, goodEnd, batches, rows, tornBytes: size - goodEnd };
}

/** A journal's schema, and its whole record batches decoded one at a time as they are asked for. */
export interface JournalBatches {
  schema: Schema;
  batches: Iterable<RecordBatch>;
}

/**
 * The complete part of a journal (schema with its metadata, every whole batch), read a record batch
 * at a time: a caller decodes one per turn of its event loop, where decoding the whole table at
 * once held the loop 0.5–0.8 s for a journal of 167,000 rows (650 batches).
 */
export function journalBatches(bytes: Uint8Array, scan = scanJournal(bytes)): JournalBatches | null {
  if (scan.schemaEnd === 0) return null;
  // The torn tail is left out; Arrow ends a stream where its bytes end, as at the end marker.
  const reader = vectorsWithinBuffers(() => RecordBatchReader.from(bytes.subarray(0, scan.goodEnd)).open());
  if (reader.isFile()) throw new Error('internal: a journal read as an Arrow file');
  return {
    schema: reader.schema,
    batches: {
      *[Symbol.iterator]() {
        // The length checks hold only while Arrow reads, not across the caller's turns.
        for (
          let next = vectorsWithinBuffers(() => reader.next());
          !next.done;
          next = vectorsWithinBuffers(() => reader.next())
        )
          yield next.value;
      },
    },
  };
}
