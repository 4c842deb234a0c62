// Arrow IPC's framing, as every reader of its bytes here reads it. A file opens (and ends) with
// `ARROW1`; a stream opens with its first message. A message is [0xFFFFFFFF][int32 metadata
// length][metadata][body], or, as written before Arrow 0.15, [int32 metadata length][metadata]
// [body] without the continuation token; the metadata (a Message flatbuffer) gives the body's length.

/** What an Arrow IPC file opens and ends with. */
export const ARROW_FILE_MAGIC = 'ARROW1';

/** The end of a stream: the continuation token, then a metadata length of zero. */
export const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Whether `bytes` open with the continuation token: an Arrow stream (a sweep's journal), not a file. */
export const opensAsStream = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff;

/** Whether `bytes` open with the magic of an Arrow IPC file. */
export const opensAsFile = (bytes: Uint8Array): boolean =>
  bytes.length >= ARROW_FILE_MAGIC.length && [...ARROW_FILE_MAGIC].every((c, i) => bytes[i] === c.charCodeAt(0));

export interface MessagePrefix {
  /** Bytes before the metadata: 8 with the continuation token, 4 without. */
  size: 4 | 8;
  /** The metadata's length; 0 or less at the end of a stream (or where zeros stand in for a message). */
  metadataLength: number;
}

/**
 * The prefix of the message that `head` opens: its first 8 bytes (4 suffice in the old form; a
 * RangeError where too few are given).
 */
export function messagePrefix(head: Uint8Array): MessagePrefix {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const size = view.getInt32(0, true) === -1 ? 8 : 4;
  return { size, metadataLength: view.getInt32(size - 4, true) };
}
