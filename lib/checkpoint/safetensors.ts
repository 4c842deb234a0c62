// Reads and validates the header of a .safetensors file without touching its data.
//
// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON, then the data section.
// Each JSON entry is { dtype, shape, data_offsets: [begin, end] } relative to the data section;
// `__metadata__` is an optional string→string map. The C++ loader memory-maps the file and
// trusts the spans we hand it, so every field is checked here before anything uses it.
import { open } from 'node:fs/promises';

import type { NativeTensorEntry } from '../native/types-model.js';
import { CheckpointError } from './errors.js';
import { clip, scanHeader } from './header-scan.js';

export type { NativeTensorEntry };

/** One tensor of a safetensors file, of any dtype the format defines; offsets ABSOLUTE in the file. */
export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** What a file was when its header was read, to tell later whether it changed (lib/checkpoint/stamp.ts). */
export interface FileStamp {
  path: string;
  size: bigint;
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

export interface SafetensorsFile {
  path: string;
  fileSize: number;
  metadata: Record<string, string>;
  /** in file order (sorted by begin), offsets ABSOLUTE in the file */
  tensors: SafetensorsTensor[];
  stamp: FileStamp;
}

/** Bytes per element of the dtypes the models load. */
export const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;

// Bits per element of every safetensors dtype: a tensor the model never reads may have any of
// them (attention masks, position ids) and is still checked for a span that fits its shape.
const DTYPE_BITS: Record<string, number> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E4M3: 8,
  F8_E5M2: 8,
  F8_E8M0: 8,
  F6_E2M3: 6,
  F6_E3M2: 6,
  F4: 4,
  U16: 16,
  I16: 16,
  F16: 16,
  BF16: 16,
  U32: 32,
  I32: 32,
  F32: 32,
  U64: 64,
  I64: 64,
  F64: 64,
  C64: 64,
};

/** Real headers are kilobytes to a few MB; anything larger is corruption, not a model. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** A valid header nests 3 deep (header → entry → shape); far deeper is not a safetensors header. */
export const MAX_HEADER_DEPTH = 64;

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

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
    const st = await fh.stat({ bigint: true });
    // A folder opens for reading on Linux: its first read would be a bare EISDIR naming no file.
    if (!st.isFile())
      throw new CheckpointError('missing-file', path, 'is a folder (or another non-file), not a safetensors file');
    const stamp: FileStamp = { path, size: st.size, mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
    const fileSize = Number(st.size);
    if (fileSize < 8) {
      throw new CheckpointError(
        'truncated',
        path,
        `file is ${fileSize} bytes, shorter than the 8-byte header length of a safetensors file (truncated?)`,
      );
    }
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen > BigInt(MAX_HEADER_BYTES)) {
      // Past EOF is the likelier story (a truncated or non-safetensors file), so say that first.
      if (headerLen + 8n > BigInt(fileSize)) {
        throw new CheckpointError(
          'header-past-eof',
          path,
          `header length ${headerLen} runs past the end of the ${fileSize}-byte file (not a safetensors file, or truncated)`,
        );
      }
      throw new CheckpointError(
        'header-too-large',
        path,
        `header length ${headerLen} is over the ${MAX_HEADER_BYTES}-byte limit (corrupt file?)`,
      );
    }
    const n = Number(headerLen);
    if (8 + n > fileSize) {
      throw new CheckpointError(
        'header-past-eof',
        path,
        `header length ${n} runs past the end of the ${fileSize}-byte file (truncated?)`,
      );
    }
    const headerBuf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(headerBuf, 0, n, 8);
    if (bytesRead !== n)
      throw new CheckpointError('truncated', path, `could read only ${bytesRead} of ${n} header bytes`);
    return { ...parseHeader(path, fileSize, headerBuf), stamp };
  } finally {
    await fh.close();
  }
}

const CORRUPT = 're-download or re-convert the checkpoint';

/** Validates a header already in memory; `fileSize` bounds the data section. */
export function parseHeader(path: string, fileSize: number, headerBuf: Uint8Array): Omit<SafetensorsFile, 'stamp'> {
  const dataStart = 8 + headerBuf.length;
  const dataSize = fileSize - dataStart;
  const json = parseJson(path, headerBuf);

  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensor[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) throw new CheckpointError('bad-entry', path, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string')
          throw new CheckpointError('bad-entry', path, `__metadata__.${clip(k)} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(checkEntry(path, name, entry, dataStart, dataSize));
  }
  checkTiling(path, tensors, dataStart, dataSize);
  return { path, fileSize, metadata, tensors };
}

function parseJson(path: string, b: Uint8Array): Record<string, unknown> {
  // Hugging Face's reader requires the header to open with '{'; so do we, before any parsing.
  if (b.length === 0 || b[0] !== 0x7b) {
    throw new CheckpointError(
      'bad-json',
      path,
      `header JSON is not an object (a safetensors header starts with '{'): ${CORRUPT}`,
    );
  }
  const scan = scanHeader(b, MAX_HEADER_DEPTH);
  if (scan.tooDeep) {
    throw new CheckpointError(
      'bad-json',
      path,
      `header JSON nests more than ${MAX_HEADER_DEPTH} levels deep (a safetensors header needs 3): not a ` +
        `safetensors header; ${CORRUPT}`,
    );
  }
  if (scan.end >= 0) {
    const tail = b.subarray(scan.end + 1);
    const junk = tail.findIndex((c) => !WHITESPACE.has(c));
    if (junk >= 0) {
      throw new CheckpointError(
        'header-length',
        path,
        `header length ${b.length} does not end at the header JSON's closing brace (byte ${8 + scan.end} of the ` +
          `file): ${tail.length} more bytes follow it, not all padding spaces; the length field or the header is ` +
          `corrupt: ${CORRUPT}`,
      );
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new CheckpointError('bad-json', path, 'header is not valid UTF-8 (not a safetensors file?)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const cut = scan.end < 0 ? ' (the JSON never closes: is the header length too short, or the header cut?)' : '';
    throw new CheckpointError('bad-json', path, `header is not valid JSON: ${clip((e as Error).message, 200)}${cut}`);
  }
  if (!isPlainObject(json)) throw new CheckpointError('bad-json', path, 'header JSON is not an object');
  if (scan.duplicate) {
    const { key, within } = scan.duplicate;
    const where =
      within === '' ? `names tensor '${clip(key)}' twice` : `has key '${clip(key)}' twice in '${clip(within)}'`;
    throw new CheckpointError(
      'duplicate-key',
      path,
      `header JSON ${where} (only one of them could be read): ${CORRUPT}`,
      within === '' ? key : within,
    );
  }
  return json;
}

function checkEntry(
  path: string,
  name: string,
  entry: unknown,
  dataStart: number,
  dataSize: number,
): SafetensorsTensor {
  const tensor = clip(name, 200);
  const bad = (what: string) => new CheckpointError('bad-entry', path, `tensor '${tensor}': ${what}`, name);
  if (!isPlainObject(entry)) throw bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') throw bad('dtype is missing or not a string');
  const bits = Object.hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : undefined;
  if (bits === undefined)
    throw new CheckpointError('unknown-dtype', path, `unknown dtype '${clip(dtype)}' for tensor '${tensor}'`, name);
  if (!Array.isArray(shape)) throw bad('shape is missing or not an array');
  if (!shape.every(isIndex)) throw bad(`shape ${clip(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2) throw bad('data_offsets is missing or not a [begin, end] pair');
  const [b, e] = offsets;
  if (!isIndex(b) || !isIndex(e)) throw bad(`data_offsets ${clip(offsets)} are not non-negative integers`);
  if (e < b) throw bad(`data_offsets end ${e} is before begin ${b}`);

  // BigInt: a hostile shape could overflow doubles and sneak past the comparison.
  const wantBits = (shape as number[]).reduce((p, d) => p * BigInt(d), 1n) * BigInt(bits);
  const dims = clip((shape as number[]).join(', '));
  if (wantBits % 8n !== 0n) {
    throw new CheckpointError(
      'byte-length',
      path,
      `tensor '${tensor}' has shape [${dims}] ${dtype} = ${wantBits} bits, not a whole number of bytes`,
      name,
    );
  }
  const want = wantBits / 8n;
  if (want !== BigInt(e - b)) {
    throw new CheckpointError(
      'byte-length',
      path,
      `tensor '${tensor}' has shape [${dims}] ${dtype} = ${want} bytes, but its data_offsets span ${e - b} bytes`,
      name,
    );
  }
  if (e > dataSize) {
    throw new CheckpointError(
      'out-of-bounds',
      path,
      `tensor '${tensor}' data_offsets [${b}, ${e}) run past the ${dataSize}-byte data section (truncated file?)`,
      name,
    );
  }
  return { name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e };
}

// As Hugging Face's reader: sorted by begin, the spans tile the data section exactly — the first
// starts at 0, each starts where the previous ended, the last ends at the end of the file. A hole
// or an overlap means offsets were corrupted, and the bytes read would be another tensor's.
function checkTiling(path: string, tensors: SafetensorsTensor[], dataStart: number, dataSize: number): void {
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const span = (t: SafetensorsTensor) => `'${clip(t.name, 200)}' [${t.begin - dataStart}, ${t.end - dataStart})`;
  let at = 0;
  let prev: SafetensorsTensor | undefined;
  for (const t of tensors) {
    const begin = t.begin - dataStart;
    if (begin < at) {
      throw new CheckpointError(
        'overlap',
        path,
        `tensor ${span(t)} overlaps tensor ${span(prev!)}: ${CORRUPT}`,
        t.name,
      );
    }
    if (begin > at) {
      const after = prev ? `after tensor ${span(prev)}` : 'at the start of the data section';
      throw new CheckpointError(
        'gap',
        path,
        `${begin - at} bytes no tensor owns ${after}, before tensor ${span(t)}: the offsets are corrupt; ${CORRUPT}`,
        t.name,
      );
    }
    at = t.end - dataStart;
    prev = t;
  }
  if (at !== dataSize) {
    throw new CheckpointError(
      'trailing-data',
      path,
      `the tensors end at byte ${at} of the ${dataSize}-byte data section: ${dataSize - at} bytes at the end belong ` +
        `to no tensor (a wrong header length, or a corrupt file); ${CORRUPT}`,
    );
  }
}
