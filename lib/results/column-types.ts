// The Arrow types a results column may have in a file that another tool rewrote. pyarrow, polars
// and DuckDB keep a column's values but may widen its type: Python integers become int64 (which
// apache-arrow reads as BigInt, a value no record field is typed for), a pandas round trip makes a
// nullable int32 column float64, strings come back as large_utf8 or dictionaries, lists as large
// lists. Such a column reads as the numbers and strings distprompt wrote; one of another kind (text
// where numbers belong) is refused, naming it, rather than handed on to fail in a figure or merge.

import { DataType } from 'apache-arrow';
import type { ColumnKind } from './schema.js';

/** Turns a value as Arrow returns it into the record's value. */
export type ColumnRead = (v: unknown) => unknown;

const asIs: ColumnRead = (v) => v;
const toNumber: ColumnRead = (v) => (typeof v === 'bigint' ? Number(v) : v);
const toNumbers: ColumnRead = (v) => Array.from(v as Iterable<number | bigint>, (x) => Number(x));

const numeric = (t: DataType | undefined): boolean => DataType.isInt(t) || DataType.isFloat(t);

/** How a column of `kind` reads from a column of Arrow `type`, or null where that type cannot hold it. */
export function columnRead(kind: ColumnKind, type: DataType): ColumnRead | null {
  switch (kind) {
    case 'utf8': {
      const t: DataType = DataType.isDictionary(type) ? type.dictionary : type;
      return DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isUtf8View(t) ? asIs : null;
    }
    case 'int32':
    case 'float64':
      return numeric(type) ? toNumber : null;
    case 'bool':
      return DataType.isBool(type) ? asIs : null;
    case 'int32List':
    case 'float32List': {
      const list = DataType.isList(type) || DataType.isLargeList(type) || DataType.isFixedSizeList(type);
      return list && numeric(type.children[0]?.type) ? toNumbers : null;
    }
  }
}

/** The pyarrow type a column of `kind` is written with, for a message saying what to cast it back to. */
export const PYARROW_TYPE: Record<ColumnKind, string> = {
  utf8: 'pa.string()',
  int32: 'pa.int32()',
  float64: 'pa.float64()',
  bool: 'pa.bool_()',
  int32List: 'pa.list_(pa.int32())',
  float32List: 'pa.list_(pa.float32())',
};
