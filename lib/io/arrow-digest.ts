// A digest of an Arrow table's data, written in its schema's custom metadata, so that a results or
// targets file whose data changed after it was written (a disk going bad, a copy gone wrong, an
// edit) is refused on read rather than read as other numbers: Arrow's file format has no checksum,
// and arrow-table.ts guards only the metadata.
//
// What it covers: each column's logical contents, by name, in one fixed encoding, not the bytes
// apache-arrow lays out. That keeps it sound both ways:
// - Every byte a reader reads is covered. A value's bytes make the value, and the values are
//   hashed; a validity bit makes a value null or not, and which rows are null is hashed; an offset
//   says where a string or list ends, and each one's length is hashed beside the bytes, so even an
//   offset moved within the bytes (["ab","cd"] read as ["abc","d"]) is caught. A byte no reader
//   reads (padding, the slot under a null) changes nothing read and is not covered.
// - The same data laid out otherwise keeps its digest: other batch sizes or padding, and a results
//   file pyarrow, polars or DuckDB wrote back with its metadata, its columns reordered, widened
//   (int32 to int64 or float64, utf8 to large or dictionary strings) or with columns of their own
//   added, which reads as the original (test/results-rewritten.test.ts).
//
// The encoding, per column, three streams each hashed apart (so batch boundaries do not matter):
// `present` one byte a row (1, or 0 for null); `lengths` how many UTF-8 bytes a string has or
// items a list has, a float64 a row (0 for null); `values` every number (of any integer or float width) as a float64,
// 0 for null, a bool as a byte, a string's UTF-8 bytes, a list's items (a null item as NaN) as
// float32 where every item of the column is exactly a float32 (a soft prompt's, a target's: half
// the bytes to hash, and float32 items are hashed where they lie), else as float64. Little-endian,
// as Arrow's own buffers (apache-arrow reads on little-endian machines only). The column's digest
// is the SHA-256 of its kind, its items' width, its row count and the three streams' SHA-256.
import { createHash, type Hash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { DataType, makeVector, Precision, RecordBatch, Schema, Table, tableToIPC, type Data } from 'apache-arrow';

/** The schema metadata key of the digest: JSON { column: sha256 hex }, for each column written. */
export const DATA_DIGEST_KEY = 'distprompt.dataSha256';

type Kind = 'number' | 'bool' | 'string' | 'list';

function kindOf(t: DataType): Kind | undefined {
  if (DataType.isInt(t) || DataType.isFloat(t)) return 'number';
  if (DataType.isBool(t)) return 'bool';
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isUtf8View(t)) return 'string';
  if (DataType.isDictionary(t)) return kindOf(t.dictionary);
  if (DataType.isList(t) || DataType.isLargeList(t) || DataType.isFixedSizeList(t))
    return t.children[0] && kindOf(t.children[0].type) === 'number' ? 'list' : undefined;
  return undefined;
}

/** Numbers widened or narrowed at a time: bounds the memory a targets file's rows take (hundreds of MiB). */
const SLICE = 1 << 20;

type Numbers =
  Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;
type BigInts = BigInt64Array | BigUint64Array;

const isBig = (a: Numbers | BigInts): a is BigInts => a instanceof BigInt64Array || a instanceof BigUint64Array;
const bytesOf = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Whether every number in `values` is exactly a float32 (NaN included). */
function allFloat32(values: Numbers | BigInts): boolean {
  if (values instanceof Float32Array) return true;
  if (isBig(values)) return values.every((x) => Object.is(Math.fround(Number(x)), Number(x)));
  return (values as Float64Array).every((x) => Object.is(Math.fround(x), x));
}

/** `values` into `into` as float32s (`single`) or float64s, a slice at a time; float32s as they lie. */
function hashNumbers(into: Hash, values: Numbers | BigInts, single: boolean): void {
  if (single && values instanceof Float32Array) {
    into.update(bytesOf(values));
    return;
  }
  const buf = single
    ? new Float32Array(Math.min(SLICE, values.length))
    : new Float64Array(Math.min(SLICE, values.length));
  for (let s = 0; s < values.length; s += SLICE) {
    const n = Math.min(SLICE, values.length - s);
    if (isBig(values)) for (let i = 0; i < n; i++) buf[i] = Number(values[s + i]);
    else buf.set(values.subarray(s, s + n));
    into.update(bytesOf(buf.subarray(0, n)));
  }
}

/** Plain (not half-float) numbers in a typed array apache-arrow reads by index. */
const plainNumbers = (t: DataType) => DataType.isInt(t) || (DataType.isFloat(t) && t.precision !== Precision.HALF);

/** Bit `offset + i` of `bits` for each of `n` rows, one byte a row (as apache-arrow reads a bitmap). */
function unpack(bits: Uint8Array, offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = offset + i;
    out[i] = (bits[at >> 3] >> (at & 7)) & 1;
  }
  return out;
}

/** 1 where a row has a value, 0 where it is null: what Data.getValid says, a chunk at a time. */
function presentOf(data: Data): Uint8Array {
  const bitmap = data.nullBitmap as Uint8Array | undefined;
  // apache-arrow reads the bitmap only where the chunk says it holds nulls (getValid, nullable).
  if (DataType.isUnion(data.type) || !(data.nullCount > 0 && bitmap && bitmap.byteLength > 0))
    return new Uint8Array(data.length).fill(1);
  return unpack(bitmap, data.offset, data.length);
}

/** Each row's length from a string or list chunk's offsets, where every null holds none; else undefined. */
function lengthsOf(data: Data, present: Uint8Array): { lengths: Float64Array; begin: number; end: number } | undefined {
  const raw = data.valueOffsets as Int32Array | BigInt64Array | undefined;
  const n = data.length;
  if (!raw || raw.length < n + 1) return undefined;
  const at = raw instanceof BigInt64Array ? (i: number) => Number(raw[i]) : (i: number) => (raw as Int32Array)[i];
  const lengths = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lengths[i] = at(i + 1) - at(i);
    if (!present[i] && lengths[i] !== 0) return undefined;
  }
  return { lengths, begin: at(0), end: at(n) };
}

interface Streams {
  present: Hash;
  lengths: Hash;
  values: Hash;
}

/**
 * One chunk of a column into its streams, from its buffers where they are laid out as written,
 * else value by value; a list's items are returned, for its column's width to be chosen from all.
 */
function addChunk(kind: Kind, data: Data, s: Streams): Numbers | BigInts | undefined {
  const n = data.length;
  const present = presentOf(data);
  s.present.update(present);
  const type = data.type as DataType;
  if (kind === 'number' && plainNumbers(type)) {
    const values = new Float64Array(n);
    const raw = data.values as Numbers | BigInts;
    if (isBig(raw)) for (let i = 0; i < n; i++) values[i] = Number(raw[i]);
    else values.set(raw.subarray(0, n));
    if (data.nullCount > 0) for (let i = 0; i < n; i++) if (!present[i]) values[i] = 0;
    s.values.update(bytesOf(values));
    return;
  }
  if (kind === 'bool' && DataType.isBool(type)) {
    const values = unpack(data.values as Uint8Array, data.offset, n);
    for (let i = 0; i < n; i++) values[i] &= present[i];
    s.values.update(values);
    return;
  }
  const laidOut = DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isList(type);
  const offsets = laidOut ? lengthsOf(data, present) : undefined;
  if (offsets) {
    const child = data.children[0];
    if (kind === 'string') {
      s.lengths.update(bytesOf(offsets.lengths));
      s.values.update((data.values as Uint8Array).subarray(offsets.begin, offsets.end));
      return;
    }
    if (child && child.nullCount === 0 && plainNumbers(child.type as DataType)) {
      s.lengths.update(bytesOf(offsets.lengths));
      return (child.values as Numbers | BigInts).subarray(offsets.begin, offsets.end);
    }
  }
  // Any other layout (dictionaries, views, fixed-size lists, a null inside a list, another
  // writer's bytes under a null): each value as apache-arrow reads it.
  const vector = makeVector(data);
  const lengths = kind === 'string' || kind === 'list' ? new Float64Array(n) : undefined;
  const parts: Uint8Array[] = [];
  const items: number[] = [];
  const bools = new Uint8Array(kind === 'bool' ? n : 0);
  for (let i = 0; i < n; i++) {
    const v: unknown = present[i] ? vector.get(i) : null;
    if (kind === 'number') parts.push(bytesOf(Float64Array.of(v === null ? 0 : Number(v))));
    else if (kind === 'bool') bools[i] = v === true ? 1 : 0;
    else if (kind === 'string') {
      const bytes = v === null ? new Uint8Array(0) : Buffer.from(v as string, 'utf8');
      lengths![i] = bytes.length;
      parts.push(bytes);
    } else {
      const before = items.length;
      if (v !== null) for (const x of v as Iterable<unknown>) items.push(x === null ? NaN : Number(x));
      lengths![i] = items.length - before;
    }
  }
  if (lengths) s.lengths.update(bytesOf(lengths));
  if (kind === 'list') return Float64Array.from(items);
  s.values.update(kind === 'bool' ? bools : Buffer.concat(parts));
  return undefined;
}

/** A generator's steps run to its end, in one go: its value. */
function allSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The digest of one column's chunks; undefined for a type no file this project writes holds. */
const columnDigest = (type: DataType, chunks: readonly Data[]): string | undefined =>
  allSteps(columnDigestSteps(type, chunks));

/**
 * columnDigest a step per chunk: a caller may take a turn of its event loop between them (the
 * digest of a 500,000-row results file takes 1.7 s).
 */
function* columnDigestSteps(type: DataType, chunks: readonly Data[]): Generator<void, string | undefined> {
  const kind = kindOf(type);
  if (!kind) return undefined;
  const s: Streams = { present: createHash('sha256'), lengths: createHash('sha256'), values: createHash('sha256') };
  let rows = 0;
  const items: Array<Numbers | BigInts> = [];
  for (const data of chunks) {
    const chunkItems = addChunk(kind, data, s);
    if (chunkItems) items.push(chunkItems);
    rows += data.length;
    yield;
  }
  const single = items.every(allFloat32);
  for (const chunkItems of items) {
    hashNumbers(s.values, chunkItems, single);
    yield;
  }
  return createHash('sha256')
    .update(`${kind}\0${kind === 'list' ? (single ? 32 : 64) : 0}\0${rows}\0`)
    .update(s.present.digest())
    .update(s.lengths.digest())
    .update(s.values.digest())
    .digest('hex');
}

/** Each column's digest, by name, in schema order. */
function digests(table: Table): Record<string, string> {
  const out: Record<string, string> = {};
  table.schema.fields.forEach((field, i) => {
    const digest = columnDigest(field.type as DataType, table.getChildAt(i)?.data ?? []);
    if (digest === undefined) throw new Error(`internal: column '${field.name}' (${String(field.type)}) has no digest`);
    out[field.name] = digest;
  });
  return out;
}

/** `table` as an Arrow IPC file, its data's digest in its schema's metadata. */
export function arrowFileWithDigest(table: Table): Uint8Array {
  const metadata = new Map(table.schema.metadata);
  metadata.set(DATA_DIGEST_KEY, JSON.stringify(digests(table)));
  const schema = new Schema(table.schema.fields, metadata);
  return tableToIPC(
    new Table(
      schema,
      table.batches.map((b) => new RecordBatch(schema, b.data)),
    ),
    'file',
  );
}

/**
 * Why `table`'s data do not match the digest written with it, as a phrase for "<file>: <phrase>;
 * <what to do>"; undefined where they match, or where it has no digest (a file written before
 * files carried one, or by another tool). A column the digest names and the file lacks is left to
 * the reader, which names a column it needs.
 */
export const dataDigestMismatch = (table: Table): string | undefined => allSteps(mismatchSteps(table));

/**
 * dataDigestMismatch a chunk of a column per turn of the event loop; stops with `signal`'s reason
 * at the first turn after it aborts.
 */
export async function dataDigestMismatchYielding(table: Table, signal?: AbortSignal): Promise<string | undefined> {
  const steps = mismatchSteps(table);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await nextTurn();
    signal?.throwIfAborted();
  }
}

/** dataDigestMismatch in steps (columnDigestSteps'). */
function* mismatchSteps(table: Table): Generator<void, string | undefined> {
  const text = table.schema.metadata.get(DATA_DIGEST_KEY);
  if (text === undefined) return undefined;
  const changed = (what: string) =>
    `its data do not match the digest written with it (${what}): it was damaged or edited after it was written`;
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    stored = undefined;
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
    return changed(`the digest, schema metadata '${DATA_DIGEST_KEY}', is not a JSON object`);
  const differ: string[] = [];
  for (const [name, digest] of Object.entries(stored as Record<string, unknown>)) {
    const i = table.schema.fields.findIndex((f) => f.name === name);
    if (i < 0) continue;
    let now: string | undefined;
    try {
      now = yield* columnDigestSteps(table.schema.fields[i].type as DataType, table.getChildAt(i)?.data ?? []);
    } catch {
      now = undefined; // offsets or lengths so damaged that the values cannot be read at all
    }
    if (now !== digest) differ.push(`'${name}'`);
  }
  if (differ.length === 0) return undefined;
  return changed(
    `column${differ.length > 1 ? 's' : ''} ${differ.slice(0, 5).join(', ')}${differ.length > 5 ? ', …' : ''}`,
  );
}
