// The targets file `distprompt targets` writes, in the three forms the reader (file.ts) takes
// back, each with the targets' ids: Arrow IPC (write-arrow.ts: ids, metadata columns and the
// rows), safetensors (one F32 tensor `targets` [rows, vocab], the rows alone at 4 bytes a value,
// the ids in the header's `__metadata__`) or JSON ({ vocabSize, meta, targets: number[][] }). JSON
// is built a row at a time: one JSON.stringify of the whole set passes V8's longest string at ~25M
// values (the paper's vanilla grid over Llama 3's vocabulary is 44M), and the reader holds a JSON
// file to one string, so a set past that is refused before it is made, naming the binary forms;
// and a set past the 2 GiB the reader reads a file in is refused in every form.
import { TargetError } from '../model/target-error.js';
import { FILE_READ_LIMIT, JSON_TEXT_LIMIT, SAFETENSORS_IDS_KEY, targetFileFormat } from './file.js';
import type { TargetMeta } from './synthesize.js';
import { targetArrowBytes } from './write-arrow.js';

/** Characters a float32 value takes in JSON, about (most are 17–23: '0.000007795927727420349,'). */
const JSON_CHARS_PER_VALUE = 20;

/** Refuses, before the targets are made, a file the reader could not read back. */
export function checkTargetFileSize(path: string, rows: number, vocab: number): void {
  if (rows * vocab * 4 > FILE_READ_LIMIT) pastReadLimit(path, rows, vocab, rows * vocab * 4);
  if (targetFileFormat(path) === 'json' && rows * vocab * JSON_CHARS_PER_VALUE > JSON_TEXT_LIMIT)
    tooLarge(path, rows, vocab);
}

const MiB = (bytes: number) => Math.ceil(bytes / 2 ** 20).toLocaleString('en-US');

function pastReadLimit(path: string, rows: number, vocab: number, bytes: number): never {
  throw new TargetError(
    `${path}: ${rows.toLocaleString('en-US')} targets over ${vocab.toLocaleString('en-US')} tokens make a file of at ` +
      `least ${MiB(bytes)} MiB, past the 2 GiB a targets file is read back in: make the set in parts, a file ` +
      `each (a part of the entropy grid, or a smaller --count)`,
  );
}

function tooLarge(path: string, rows: number, vocab: number): never {
  throw new TargetError(
    `${path}: ${rows.toLocaleString('en-US')} targets over ${vocab.toLocaleString('en-US')} tokens make more JSON ` +
      `than one JavaScript string holds (512 MiB), so it could not be read back: name the file .arrow (with the ids ` +
      `and metadata) or .safetensors (with the ids), float32 rows, ${MiB(rows * vocab * 4)} MiB`,
  );
}

/** safetensors: the header (the ids in `__metadata__`), padded to 8 bytes as safetensors' own writer does, then the rows. */
function safetensorsBytes(data: Float32Array, meta: readonly TargetMeta[], vocab: number): Buffer {
  const ids = meta.map((m) => m.id);
  const header = Buffer.from(
    JSON.stringify({
      __metadata__: { [SAFETENSORS_IDS_KEY]: JSON.stringify(ids) },
      targets: { dtype: 'F32', shape: [ids.length, vocab], data_offsets: [0, data.byteLength] },
    }),
  );
  // Spaces after the JSON, so the float32 rows start on an 8-byte boundary.
  const padded = Buffer.concat([header, Buffer.alloc((8 - (header.length % 8)) % 8, ' ')]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([length, padded, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** The file's bytes for `path`'s format (targetFileFormat): Arrow, safetensors or JSON. */
export function targetFileBytes(
  path: string,
  data: Float32Array,
  meta: readonly TargetMeta[],
  vocab: number,
): Uint8Array {
  const rows = meta.length;
  const format = targetFileFormat(path);
  const bytes =
    format === 'arrow'
      ? targetArrowBytes(data, meta, vocab)
      : format === 'safetensors'
        ? safetensorsBytes(data, meta, vocab)
        : jsonBytes(path, data, meta, vocab);
  if (bytes.length > FILE_READ_LIMIT) pastReadLimit(path, rows, vocab, bytes.length);
  return bytes;
}

function jsonBytes(path: string, data: Float32Array, meta: readonly TargetMeta[], vocab: number): Buffer {
  const rows = meta.length;
  const parts = [Buffer.from(`{"vocabSize":${vocab},"meta":${JSON.stringify(meta)},"targets":[`)];
  for (let r = 0; r < rows; r++)
    parts.push(Buffer.from((r ? ',' : '') + JSON.stringify(Array.from(data.subarray(r * vocab, (r + 1) * vocab)))));
  parts.push(Buffer.from(']}'));
  const bytes = Buffer.concat(parts);
  if (bytes.length > JSON_TEXT_LIMIT) tooLarge(path, rows, vocab);
  return bytes;
}
