// Targets from a file: the JSON that `distprompt targets` writes ({ vocabSize, meta, targets:
// number[][] }) or a bare array of rows; an Arrow IPC file (.arrow: a `target` list column, an
// optional `id`); or safetensors (.safetensors: a 2-D F32 tensor `targets`, the ids optionally a
// JSON array in the header's `__metadata__`). Read once per
// path; every value must be a finite number (JSON's null, "0.001", true or [0.5] are not
// quietly made into one) and every row a distribution. Ids, where the file gives them, are
// strings and unique: they name the targets in tune's and bound's output and in the results'
// targetParams, where two alike could not be told apart. Arrow and safetensors rows stay typed
// arrays (a 100,000-row file costs its float32s, not a JS number per value).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { DataType, Precision, type Vector } from 'apache-arrow';

import { parseHeader } from '../checkpoint/safetensors.js';
import { dataDigestMismatch } from '../io/arrow-digest.js';
import { formatOfBytes } from '../io/bytes-format.js';
import { arrowReadError } from '../io/arrow-read-error.js';
import { arrowTable } from '../io/arrow-table.js';
import { errnoCode, fileError, MACHINE_FAULT_CODES, unreadableWhy } from '../io/fs-error.js';
import { TargetError } from '../model/target-error.js';
import { RENORMALIZE_HINT, validateTargets } from './validate.js';
import { parseJsonText } from '../io/json-text.js';

export interface TargetFile {
  data: Float32Array;
  rows: number;
  ids: string[];
}

/**
 * Rows as read, each value still to be checked (a typed array from Arrow or safetensors, else
 * whatever the JSON held); ids when the file names its targets.
 */
interface Loaded {
  rows: unknown[];
  ids?: string[];
  /** the vocabulary the file says its rows are over (the JSON that `distprompt targets` writes) */
  vocabSize?: number;
}

const isTyped = (row: unknown): row is Float32Array | Float64Array | Int32Array =>
  ArrayBuffer.isView(row) && !(row instanceof DataView);

/** A file as loaded: its rows, and the sha256 of the very bytes they were read from. */
type LoadedFile = Loaded & { sha256: string };

/**
 * Files read in this process, by path, with the stat they were read at: a sweep's planner, its
 * synthesis and its metadata read one file once, and a file changed since (a script that rewrites
 * it between two sweeps) is read again rather than served stale under a stale hash.
 */
const cache = new Map<string, { stamp: string; file: LoadedFile }>();

/** What tells a changed file from the one read: inode, size and modification time to the nanosecond. */
function stampOf(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined; // readBytes below names why
  }
}

const shown = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
};

/** The most bytes a targets file may have: Node reads a file into one Buffer of at most 2 GiB − 1. */
export const FILE_READ_LIMIT = 2 ** 31 - 1;

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = errnoCode(e);
    if (code && MACHINE_FAULT_CODES.has(code)) throw fileError(e, path);
    // A spec's or a flag's relative path is read from the working folder, not the spec's: say which.
    const where = code === 'ENOENT' && !isAbsolute(path) ? ` in the working folder, ${process.cwd()}` : '';
    throw new TargetError(`targets file ${path}: cannot read it (${unreadableWhy(e)}${where})`);
  }
}

/** The longest string V8 makes, in UTF-16 units (2^29 − 24; 512 MiB of ASCII): a JSON file's limit. */
export const JSON_TEXT_LIMIT = 2 ** 29 - 24;

function fromJson(path: string, buf: Buffer): Loaded {
  let text: string;
  try {
    text = buf.toString('utf8');
  } catch (e) {
    // Past the longest string V8 makes (2^29 − 24 UTF-16 units, 512 MiB of ASCII).
    if ((e as { code?: string }).code !== 'ERR_STRING_TOO_LONG') throw e;
    throw new TargetError(
      `targets file ${path}: ${(buf.length / 2 ** 20).toFixed(0)} MiB of JSON, more text than one JavaScript ` +
        'string holds (512 MiB); write a target set this large as Arrow (.arrow) or safetensors (.safetensors), ' +
        'float32 rows a fraction of the size',
    );
  }
  let json: unknown;
  try {
    json = parseJsonText(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    // Python's json.dump writes NaN and Infinity, which are not JSON (and never a probability).
    const why = /\b(NaN|Infinity)\b/.test(text) ? '; NaN and Infinity are not JSON, nor probabilities' : '';
    throw new TargetError(`targets file ${path}: not valid JSON (${e.message})${why}`);
  }
  const obj = (typeof json === 'object' && json !== null ? json : {}) as {
    targets?: unknown;
    meta?: unknown;
    vocabSize?: unknown;
  };
  const rows = Array.isArray(json) ? json : obj.targets;
  if (!Array.isArray(rows) || rows.length === 0)
    throw new TargetError(`targets file ${path}: no rows (expected { targets: number[][] } or number[][])`);
  const { vocabSize } = obj;
  if (vocabSize !== undefined && !(Number.isInteger(vocabSize) && (vocabSize as number) > 0))
    throw new TargetError(`targets file ${path}: 'vocabSize' is ${shown(vocabSize)}, not a positive integer`);
  if (Array.isArray(json) || obj.meta === undefined) return { rows, vocabSize: vocabSize as number | undefined };
  const meta = obj.meta;
  if (
    !Array.isArray(meta) ||
    meta.length !== rows.length ||
    !meta.every((m) => typeof (m as { id?: unknown })?.id === 'string')
  ) {
    throw new TargetError(
      `targets file ${path}: 'meta' must be a list of ${rows.length} entries with a string 'id', one per target`,
    );
  }
  return { rows, ids: meta.map((m) => (m as { id: string }).id), vocabSize: vocabSize as number | undefined };
}

/** Each id a non-empty string, none given twice. */
function checkIds(path: string, ids: readonly unknown[]): void {
  const first = new Map<unknown, number>();
  ids.forEach((id, r) => {
    if (typeof id !== 'string' || id === '')
      throw new TargetError(
        `targets file ${path}: target ${r} has the id ${shown(id)}; an id must be a non-empty string`,
      );
    const before = first.get(id);
    if (before !== undefined)
      throw new TargetError(
        `targets file ${path}: targets ${before} and ${r} both have the id '${id}'; ids must be unique (they name the targets in the results)`,
      );
    first.set(id, r);
  });
}

/** The Arrow schema metadata key of the vocabulary the rows are over (as a results file names it). */
export const ARROW_VOCAB_KEY = 'distprompt.vocabSize';

/** The safetensors `__metadata__` key of the targets' ids: a JSON array of strings, one per row. */
export const SAFETENSORS_IDS_KEY = 'ids';

// Arrow IPC (file or stream): a column `target` (list of floats, one row per target), optionally
// `id`, and optionally the vocabulary in the schema's metadata (as `distprompt targets` writes).
function fromArrow(path: string, buf: Buffer): Loaded {
  let table;
  try {
    table = arrowTable(buf);
  } catch (e) {
    if (e instanceof TargetError || (e as Error).name === 'FileError') throw e;
    throw new TargetError(`targets file ${path}: cannot read it as Arrow (${arrowReadError(e)})`);
  }
  const col = table.getChild('target');
  // A sweep's results (rowId, klNats, …) are the file most often given here by mistake: said so.
  if (!col && table.getChild('rowId'))
    throw new TargetError(
      `targets file ${path}: it is a results file (as a sweep writes), not a targets file: give one 'distprompt targets -o' wrote`,
    );
  if (!col) throw new TargetError(`targets file ${path}: no 'target' column (a list of probabilities per row)`);
  const t = col.type as DataType;
  const listed = DataType.isList(t) || DataType.isLargeList(t) || DataType.isFixedSizeList(t);
  const item = listed ? (t.children[0]?.type as DataType) : undefined;
  if (!item || !(DataType.isFloat(item) || DataType.isInt(item)))
    throw new TargetError(
      `targets file ${path}: column 'target' is ${String(t)}; it must be a list of numbers per row (e.g. List<Float32>)`,
    );
  const mismatch = dataDigestMismatch(table);
  if (mismatch)
    throw new TargetError(
      `targets file ${path}: ${mismatch}; restore it from a copy, or make it again with 'distprompt targets'`,
    );
  const half = DataType.isFloat(item) && item.precision === Precision.HALF;
  const rows = Array.from({ length: table.numRows }, (_, r) => {
    const v = col.get(r) as Vector | null;
    if (v === null) return null;
    if (v.nullCount > 0) {
      let at = 0;
      while (v.get(at) !== null) at++;
      throw new TargetError(`targets file ${path}: target ${r} holds null at token ${at}, not a finite number`);
    }
    // Float16's toArray is its raw bits (a Uint16Array); get() decodes them. 64-bit integers
    // come back as BigInt64Array; Number() makes them plain numbers.
    if (half) return Array.from(v as Iterable<number>);
    const a = v.toArray() as ArrayLike<unknown>;
    return a instanceof BigInt64Array || a instanceof BigUint64Array ? Array.from(a, Number) : a;
  });
  const vocabText = table.schema.metadata.get(ARROW_VOCAB_KEY);
  const vocabSize = vocabText === undefined ? undefined : Number(vocabText);
  if (vocabSize !== undefined && !(Number.isInteger(vocabSize) && vocabSize > 0))
    throw new TargetError(
      `targets file ${path}: schema metadata '${ARROW_VOCAB_KEY}' is ${shown(vocabText)}, not a positive integer`,
    );
  const idCol = table.getChild('id');
  if (!idCol) return { rows, vocabSize };
  const it = idCol.type as DataType;
  // Every string type a writer uses: polars writes Utf8View, pandas via pyarrow Utf8 or LargeUtf8.
  const isString = (t: DataType) => DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isUtf8View(t);
  if (!isString(it) && !(DataType.isDictionary(it) && isString(it.dictionary)))
    throw new TargetError(`targets file ${path}: column 'id' is ${String(it)}; ids must be strings (utf8)`);
  return { rows, vocabSize, ids: Array.from({ length: table.numRows }, (_, r) => idCol.get(r) as string) };
}

// safetensors: one 2-D F32 tensor named `targets` [rows, vocab], and optionally the ids in
// `__metadata__`. The header is checked by the checkpoint reader (spans, duplicate keys, depth),
// so a targets file is held to the same rules.
function fromSafetensors(path: string, buf: Buffer): Loaded {
  if (buf.length < 8) throw new TargetError(`targets file ${path}: ${buf.length} bytes, too short for safetensors`);
  const n = buf.readBigUInt64LE(0);
  if (n + 8n > BigInt(buf.length))
    throw new TargetError(
      `targets file ${path}: header length ${n} runs past the end of the ${buf.length}-byte file (not safetensors, or truncated)`,
    );
  let tensors, metadata;
  try {
    ({ tensors, metadata } = parseHeader(path, buf.length, buf.subarray(8, 8 + Number(n))));
  } catch (e) {
    throw new TargetError(`targets file ${(e as Error).message}`);
  }
  const t = tensors.find((x) => x.name === 'targets');
  if (!t || t.dtype !== 'F32' || t.shape.length !== 2)
    throw new TargetError(`targets file ${path}: needs a 2-D F32 tensor named 'targets'`);
  const [r, v] = t.shape;
  const data = new Float32Array(new Uint8Array(buf.subarray(t.begin, t.end)).buffer);
  const rows = Array.from({ length: r }, (_, i) => data.subarray(i * v, (i + 1) * v));
  const idsText = metadata[SAFETENSORS_IDS_KEY];
  return idsText === undefined ? { rows } : { rows, ids: safetensorsIds(path, idsText, r) };
}

/** The ids a safetensors header holds: a JSON array of one string per row (checkIds then checks each). */
function safetensorsIds(path: string, text: string, rows: number): string[] {
  const bad = (why: string): never => {
    throw new TargetError(
      `targets file ${path}: __metadata__.${SAFETENSORS_IDS_KEY} ${why}; it must be a JSON array of ${rows} ` +
        `string ids, one per row of 'targets' (or leave it out: the rows are then named target:0, target:1, ...)`,
    );
  };
  let ids: unknown;
  try {
    ids = JSON.parse(text);
  } catch (e) {
    return bad(`is not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(ids)) return bad(`is ${shown(ids)}, not an array`);
  if (ids.length !== rows) return bad(`holds ${ids.length} ids for ${rows} rows`);
  return ids as string[];
}

/** How a targets file is read, by its name: Arrow IPC, safetensors, else JSON. */
export function targetFileFormat(path: string): 'arrow' | 'safetensors' | 'json' {
  return /\.(arrow|feather|ipc)$/i.test(path) ? 'arrow' : /\.safetensors$/i.test(path) ? 'safetensors' : 'json';
}

const EXTENSION = { arrow: '.arrow', safetensors: '.safetensors', json: '.json' } as const;

function load(path: string): LoadedFile {
  const stamp = stampOf(path);
  const hit = cache.get(path);
  if (hit && stamp !== undefined && hit.stamp === stamp) return hit.file;
  const buf = readBytes(path);
  const format = targetFileFormat(path);
  const read = format === 'arrow' ? fromArrow : format === 'safetensors' ? fromSafetensors : fromJson;
  let loaded: Loaded;
  try {
    loaded = read(path, buf);
  } catch (e) {
    const held = formatOfBytes(buf);
    if (!(e instanceof TargetError) || held === undefined || held === format) throw e;
    throw new TargetError(
      `targets file ${path}: its name says ${format}, but it holds ${held}: name it ${EXTENSION[held]} (the format is read from the name)`,
    );
  }
  const out = { ...loaded, sha256: createHash('sha256').update(buf).digest('hex') };
  if (out.rows.length === 0) throw new TargetError(`targets file ${path}: no rows`);
  if (out.ids) checkIds(path, out.ids);
  if (stamp !== undefined) cache.set(path, { stamp, file: out });
  return out;
}

export function targetFileCount(path: string): number {
  return load(path).rows.length;
}

export function readTargetFile(path: string, vocab: number): TargetFile {
  const { rows, ids, vocabSize } = load(path);
  if (vocabSize !== undefined && vocabSize !== vocab)
    throw new TargetError(
      `targets file ${path}: its 'vocabSize' is ${vocabSize}, the model's vocabulary ${vocab}: its targets are over another model's tokens; make them with this model`,
    );
  const id = (r: number) => (ids?.[r] ? ` (id '${ids[r]}')` : '');
  const data = new Float32Array(rows.length * vocab);
  rows.forEach((row, r) => {
    if (isTyped(row) && row.length === vocab) {
      data.set(row, r * vocab); // NaN, ∞ and negatives are named by validateTargets below
      return;
    }
    if (!Array.isArray(row) && !isTyped(row))
      throw new TargetError(
        `targets file ${path}: target ${r} is ${shown(row)}, not a list of ${vocab} probabilities${id(r)}`,
      );
    if (row.length !== vocab)
      throw new TargetError(
        `targets file ${path}: target ${r} has ${row.length} values, the model's vocabulary ${vocab}${id(r)}`,
      );
    for (let v = 0; v < vocab; v++) {
      const x: unknown = (row as ArrayLike<unknown>)[v];
      // Float32Array.set would quietly turn null into 0, "0.001" into 0.001 and true into 1.
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new TargetError(
          `targets file ${path}: target ${r} holds ${shown(x)} at token ${v}, not a finite number${id(r)}`,
        );
      }
      data[r * vocab + v] = x;
    }
  });
  try {
    validateTargets(data, rows.length, vocab, { names: ids });
  } catch (e) {
    // A file's reader has no renormalize to pass: the row is the file's to fix.
    if (e instanceof TargetError)
      throw new TargetError(
        `targets file ${path}: ${e.message.replace(RENORMALIZE_HINT, '; rescale the row in the file so it sums to 1')}`,
      );
    throw e;
  }
  return { data, rows: rows.length, ids: ids ?? rows.map((_, i) => `target:${i}`) };
}

/**
 * sha256 of each targets file's bytes, by path; undefined for none. What a resume checks
 * (lib/results): the hash of the bytes the targets were read from, taken as they were read.
 */
export function targetFileHashes(paths: readonly string[]): Record<string, string> | undefined {
  if (paths.length === 0) return undefined;
  return Object.fromEntries(paths.map((p) => [p, load(p).sha256]));
}
