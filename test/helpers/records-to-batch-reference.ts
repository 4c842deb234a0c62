// The plain reference for lib/results/encode.ts: result rows to an Arrow record batch through
// Arrow's own builders (vectorFromArray), as the results files were first written.
import { makeData, RecordBatch, Struct, vectorFromArray, type Schema } from 'apache-arrow';

import { arrowType, COLUMNS } from '../../lib/results/schema.js';
import type { RunRecord } from '../../lib/results/record.js';

export function recordsToBatchReference(schema: Schema, records: readonly RunRecord[]): RecordBatch {
  const children = COLUMNS.map((col) => {
    const values = records.map((r) => {
      const v = (r as unknown as Record<string, unknown>)[col.name];
      if (v === undefined || v === null) return null;
      // Typed arrays become plain arrays so the list builder sees a list of numbers.
      if (col.kind === 'int32List' || col.kind === 'float32List') return Array.from(v as ArrayLike<number>);
      return v;
    });
    return vectorFromArray(values as never[], arrowType(col.kind)).data[0];
  });
  const data = makeData({ type: new Struct(schema.fields), length: records.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
