// One results column as Arrow data, built straight into typed arrays. Arrow's builders
// (vectorFromArray) took 25–60 ms of the main thread for each journal append of a few hundred
// rows; this writes the same buffers (test/results-encode.test.ts checks the bytes against the
// builders) in a few milliseconds. Values are already checked (checkRecord): null stands for a
// missing value, lists are arrays or typed arrays of numbers.
import {
  makeData,
  type Bool,
  type Data,
  type DataType,
  type Float,
  type Int,
  type List,
  type Utf8,
} from 'apache-arrow';

import type { ColumnKind } from './schema.js';

/** Elements of `bpe` bytes for `n` of them, padded as Arrow's builders pad: to 64 bytes, at least 64. */
const padded = (n: number, bpe = 1) => Math.max(64, Math.ceil((n * bpe) / 64) * 64) / bpe;

/** Arrow's validity bitmap (bit i set: value i present), or none when nothing is null. */
function validity(values: readonly unknown[]): { nullCount: number; nullBitmap?: Uint8Array } {
  let nullCount = 0;
  for (const v of values) if (v === null) nullCount++;
  if (nullCount === 0) return { nullCount };
  const nullBitmap = new Uint8Array(padded((values.length + 7) >> 3));
  for (let i = 0; i < values.length; i++) if (values[i] !== null) nullBitmap[i >> 3] |= 1 << (i & 7);
  return { nullCount, nullBitmap };
}

/** Offsets of variable-length values (a null is empty): the last is their total length. */
function offsetsOf(lengths: readonly (number | null)[]): Int32Array {
  const offsets = new Int32Array(padded(lengths.length + 1, 4));
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i] + (lengths[i] ?? 0);
  return offsets;
}

/** `values` (one per row, null where missing) as the Arrow data of a column of `kind`. */
export function columnData(kind: ColumnKind, type: DataType, values: readonly unknown[]): Data {
  const length = values.length;
  const { nullCount, nullBitmap } = validity(values);
  const base = { length, nullCount, nullBitmap };
  switch (kind) {
    case 'int32': {
      const data = new Int32Array(padded(length, 4));
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as number;
      return makeData({ ...base, type: type as Int, data });
    }
    case 'float64': {
      const data = new Float64Array(padded(length, 8));
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as number;
      return makeData({ ...base, type: type as Float, data });
    }
    case 'bool': {
      const data = new Uint8Array(padded((length + 7) >> 3));
      for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3] |= 1 << (i & 7);
      return makeData({ ...base, type: type as Bool, data });
    }
    case 'utf8': {
      // Written in place (one buffer, no array per string): as TextEncoder encodes, a lone
      // surrogate as U+FFFD.
      const strings = values as readonly (string | null)[];
      const valueOffsets = offsetsOf(strings.map((v) => (v === null ? null : Buffer.byteLength(v, 'utf8'))));
      const data = Buffer.alloc(padded(valueOffsets[length]));
      for (let i = 0; i < length; i++) if (strings[i] !== null) data.write(strings[i]!, valueOffsets[i], 'utf8');
      return makeData({ ...base, type: type as Utf8, valueOffsets, data });
    }
    case 'int32List':
    case 'float32List': {
      const lists = values as readonly (ArrayLike<number> | null)[];
      const valueOffsets = offsetsOf(lists.map((l) => l?.length ?? null));
      const n = valueOffsets[length];
      const items = kind === 'int32List' ? new Int32Array(padded(n, 4)) : new Float32Array(padded(n, 4));
      lists.forEach((l, i) => l && items.set(l, valueOffsets[i]));
      const list = type as List; // makeData takes one type per overload; the typed array decides the bytes
      const child = makeData({ type: list.valueType as Int, length: n, nullCount: 0, data: items });
      return makeData({ ...base, type: list, valueOffsets, child });
    }
  }
}
