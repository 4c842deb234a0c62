// The targets file `distprompt targets` writes, in the two forms the reader (file.ts) takes back:
// JSON ({ vocabSize, meta, targets: number[][] }, ids and metadata with the rows) or safetensors
// (one F32 tensor `targets` [rows, vocab], the rows alone at 4 bytes a value). JSON is built a row
// at a time: one JSON.stringify of the whole set passes V8's longest string at ~25M values (the
// paper's vanilla grid over Llama 3's vocabulary is 44M), and the reader holds a JSON file to one
// string, so a set past that is refused before it is made, naming the safetensors form.
import { TargetError } from './maths.js';
import { JSON_TEXT_LIMIT, targetFileFormat } from './file.js';

/** Characters a float32 value takes in JSON, about (most are 17–23: '0.000007795927727420349,'). */
const JSON_CHARS_PER_VALUE = 20;

/** Refuses, before the targets are made, a JSON file the reader could not read back. */
export function checkTargetFileSize(path: string, rows: number, vocab: number): void {
  if (targetFileFormat(path) === 'json' && rows * vocab * JSON_CHARS_PER_VALUE > JSON_TEXT_LIMIT)
    tooLarge(path, rows, vocab);
}

function tooLarge(path: string, rows: number, vocab: number): never {
  throw new TargetError(
    `${path}: ${rows.toLocaleString('en-US')} targets over ${vocab.toLocaleString('en-US')} tokens make more JSON ` +
      `than one JavaScript string holds (512 MiB), so it could not be read back: name the file .safetensors ` +
      `(float32 rows, ${Math.ceil((rows * vocab * 4) / 2 ** 20)} MiB)`,
  );
}

/** The file's bytes for `path`'s format: safetensors for a .safetensors name, else JSON. */
export function targetFileBytes(path: string, data: Float32Array, meta: readonly unknown[], vocab: number): Buffer {
  const rows = meta.length;
  if (targetFileFormat(path) === 'safetensors') {
    const header = Buffer.from(
      JSON.stringify({ targets: { dtype: 'F32', shape: [rows, vocab], data_offsets: [0, data.byteLength] } }),
    );
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    return Buffer.concat([length, header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
  }
  const parts = [Buffer.from(`{"vocabSize":${vocab},"meta":${JSON.stringify(meta)},"targets":[`)];
  for (let r = 0; r < rows; r++)
    parts.push(Buffer.from((r ? ',' : '') + JSON.stringify(Array.from(data.subarray(r * vocab, (r + 1) * vocab)))));
  parts.push(Buffer.from(']}'));
  const bytes = Buffer.concat(parts);
  if (bytes.length > JSON_TEXT_LIMIT) tooLarge(path, rows, vocab);
  return bytes;
}
