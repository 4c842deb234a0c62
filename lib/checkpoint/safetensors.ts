// Reads and validates the header of a .safetensors file without touching its data.
//
// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON, then the data section.
// Each JSON entry is { dtype, shape, data_offsets: [begin, end] } relative to the data section;
// `__metadata__` is an optional string→string map. The C++ loader memory-maps the file and
// trusts the spans we hand it, so every field is checked here before anything uses it.
import { open } from 'node:fs/promises';

import type { NativeTensorEntry } from '../native/types-model.js';
import { CheckpointError } from './errors.js';

export type { NativeTensorEntry };

export interface SafetensorsFile {
  path: string;
  fileSize: number;
  metadata: Record<string, string>;
  /** in file order (sorted by begin), offsets ABSOLUTE in the file */
  tensors: NativeTensorEntry[];
}

/** Bytes per element of the dtypes the models load. */
export const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;
type SupportedDtype = keyof typeof DTYPE_BYTES;

// Valid safetensors dtypes that distprompt does not load: named as such, not as "unknown".
const OTHER_SAFETENSORS_DTYPES = new Set([
  'BOOL', 'U8', 'I8', 'U16', 'I16', 'U32', 'I32', 'U64', 'I64', 'F64', 'C64',
  'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4',
]);

/** Real headers are kilobytes to a few MB; anything larger is corruption, not a model. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export async function readSafetensorsHeader(path: string): Promise<SafetensorsFile> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError('missing-file', path, 'file not found');
    throw new CheckpointError('io', path, `cannot open: ${(e as Error).message}`);
  }
  try {
    const { size: fileSize } = await fh.stat();
    if (fileSize < 8) {
      throw new CheckpointError('truncated', path, `file is ${fileSize} bytes, shorter than the 8-byte header length of a safetensors file (truncated?)`);
    }
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen > BigInt(MAX_HEADER_BYTES)) {
      // Past EOF is the likelier story (a truncated or non-safetensors file), so say that first.
      if (headerLen + 8n > BigInt(fileSize)) {
        throw new CheckpointError('header-past-eof', path, `header length ${headerLen} runs past the end of the ${fileSize}-byte file (not a safetensors file, or truncated)`);
      }
      throw new CheckpointError('header-too-large', path, `header length ${headerLen} is over the ${MAX_HEADER_BYTES}-byte limit (corrupt file?)`);
    }
    const n = Number(headerLen);
    if (8 + n > fileSize) {
      throw new CheckpointError('header-past-eof', path, `header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`);
    }
    const headerBuf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(headerBuf, 0, n, 8);
    if (bytesRead !== n) throw new CheckpointError('truncated', path, `could read only ${bytesRead} of ${n} header bytes`);
    return parseHeader(path, fileSize, headerBuf);
  } finally {
    await fh.close();
  }
}

/** Validates a header already in memory; `fileSize` bounds the data section. */
export function parseHeader(path: string, fileSize: number, headerBuf: Uint8Array): SafetensorsFile {
  const dataStart = 8 + headerBuf.length;
  const dataSize = fileSize - dataStart;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBuf);
  } catch {
    throw new CheckpointError('bad-json', path, 'header is not valid UTF-8 (not a safetensors file?)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError('bad-json', path, `header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(json)) throw new CheckpointError('bad-json', path, 'header JSON is not an object');

  const metadata: Record<string, string> = {};
  const tensors: NativeTensorEntry[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) throw new CheckpointError('bad-entry', path, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new CheckpointError('bad-entry', path, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(checkEntry(path, name, entry, dataStart, dataSize));
  }

  // Sorted by begin, each span must end before the next starts (empty tensors take no bytes).
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let prev: NativeTensorEntry | undefined;
  for (const t of tensors) {
    if (t.end === t.begin) continue;
    if (prev && t.begin < prev.end) {
      throw new CheckpointError('overlap', path, `tensor '${t.name}' [${t.begin - dataStart}, ${t.end - dataStart}) overlaps tensor '${prev.name}' [${prev.begin - dataStart}, ${prev.end - dataStart})`, t.name);
    }
    prev = t;
  }
  return { path, fileSize, metadata, tensors };
}

function checkEntry(path: string, name: string, entry: unknown, dataStart: number, dataSize: number): NativeTensorEntry {
  const bad = (what: string) => new CheckpointError('bad-entry', path, `tensor '${name}': ${what}`, name);
  if (!isPlainObject(entry)) throw bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') throw bad('dtype is missing or not a string');
  if (!(dtype in DTYPE_BYTES)) {
    if (OTHER_SAFETENSORS_DTYPES.has(dtype)) {
      throw new CheckpointError('unsupported-dtype', path, `unsupported dtype ${dtype} for tensor '${name}' (distprompt loads F32, F16 and BF16)`, name);
    }
    throw new CheckpointError('unknown-dtype', path, `unknown dtype '${dtype}' for tensor '${name}'`, name);
  }
  if (!Array.isArray(shape)) throw bad('shape is missing or not an array');
  if (!shape.every(isIndex)) throw bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2) throw bad('data_offsets is missing or not a [begin, end] pair');
  const [b, e] = offsets;
  if (!isIndex(b) || !isIndex(e)) throw bad(`data_offsets ${JSON.stringify(offsets)} are not non-negative integers`);
  if (e < b) throw bad(`data_offsets end ${e} is before begin ${b}`);

  // BigInt: a hostile shape could overflow doubles and sneak past the comparison.
  const elems = (shape as number[]).reduce((p, d) => p * BigInt(d), 1n);
  const want = elems * BigInt(DTYPE_BYTES[dtype as SupportedDtype]);
  if (want !== BigInt(e - b)) {
    throw new CheckpointError('byte-length', path, `tensor '${name}' has shape [${shape.join(', ')}] ${dtype} = ${want} bytes, but its data_offsets span ${e - b} bytes`, name);
  }
  if (e > dataSize) {
    throw new CheckpointError('out-of-bounds', path, `tensor '${name}' data_offsets [${b}, ${e}) run past the ${dataSize}-byte data section (truncated file?)`, name);
  }
  return { name, dtype: dtype as SupportedDtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e };
}
