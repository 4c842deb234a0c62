// RunRecord[] ⇄ Arrow record batches.

import { setImmediate as nextTurn } from 'node:timers/promises';

import { makeData, RecordBatch, Struct, Table, type DataType, type Schema } from 'apache-arrow';
import { columnRead, PYARROW_TYPE, type ColumnRead } from './column-types.js';
import { columnData } from './encode.js';
import { arrowType, COLUMNS, ResultsError, SCHEMA_VERSION } from './schema.js';
import { BOTTLENECK_STATUS } from '../native/types-bound.js';
import { STOP_REASONS, type RunRecord, type StoredRunRecord } from './record.js';

/** Checks a record before it is written, so a bad row fails at the tuner, not at a later reader. */
export function checkRecord(r: RunRecord): void {
  const fail = (msg: string): never => {
    throw new ResultsError(`result row '${String(r.rowId)}': ${msg}`);
  };
  for (const col of COLUMNS) {
    const v = (r as unknown as Record<string, unknown>)[col.name];
    if (v === undefined || v === null) {
      if (!col.nullable) fail(`${col.name} is missing`);
      continue;
    }
    if (col.kind === 'utf8' && typeof v !== 'string') fail(`${col.name} must be a string, got ${typeof v}`);
    if (col.kind === 'int32' && !(Number.isInteger(v) && Math.abs(v as number) <= 0x7fffffff))
      fail(`${col.name} must be a 32-bit integer, got ${String(v)}`);
    if (col.kind === 'float64' && typeof v !== 'number') fail(`${col.name} must be a number, got ${typeof v}`);
    if (col.kind === 'bool' && typeof v !== 'boolean') fail(`${col.name} must be true or false, got ${typeof v}`);
    if ((col.kind === 'int32List' || col.kind === 'float32List') && typeof (v as ArrayLike<number>).length !== 'number')
      fail(`${col.name} must be an array of numbers`);
  }
  if (!STOP_REASONS.includes(r.stopReason))
    fail(`stopReason must be one of ${STOP_REASONS.join(', ')}, got '${String(r.stopReason)}'`);
  if (r.bottleneckStatus != null && !BOTTLENECK_STATUS.includes(r.bottleneckStatus))
    fail(
      `bottleneckStatus must be one of ${BOTTLENECK_STATUS.join(', ')} or null, got '${String(r.bottleneckStatus)}'`,
    );
}

export function recordsToBatch(schema: Schema, records: readonly RunRecord[]): RecordBatch {
  const children = COLUMNS.map((col) =>
    columnData(
      col.kind,
      arrowType(col.kind),
      records.map((r) => (r as unknown as Record<string, unknown>)[col.name] ?? null),
    ),
  );
  const data = makeData({ type: new Struct(schema.fields), length: records.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

type ColumnReader = { col: (typeof COLUMNS)[number]; vector: ReturnType<Table['getChild']>; read: ColumnRead };

/** Each column's vector, found by name (a rewritten file may order them otherwise or add its own). */
function columnReaders(table: Pick<Table, 'schema' | 'getChild'>, where: string): ColumnReader[] {
  const version = Number(table.schema.metadata.get('distprompt.schemaVersion') ?? SCHEMA_VERSION);
  return COLUMNS.map((col) => {
    const vector = table.getChild(col.name);
    // A column added after the file's schema version reads as null (old files stay readable).
    if (!vector && col.since > version) return { col, vector: null, read: (v) => v };
    if (!vector)
      throw new ResultsError(
        `${where}: no column '${col.name}', which results files of schema version ${version} have: give the file ` +
          'a sweep or merge wrote, or a copy that keeps every column (extra columns are ignored)',
      );
    const read = columnRead(col.kind, vector.type as DataType);
    if (!read)
      throw new ResultsError(
        `${where}: column '${col.name}' is ${String(vector.type)}, where a results file has ${String(arrowType(col.kind))}: ` +
          `cast it back before writing the file (pyarrow: .cast(${PYARROW_TYPE[col.kind]}))`,
      );
    return { col, vector, read };
  });
}

function recordAt(columns: readonly ColumnReader[], i: number): StoredRunRecord {
  const row: Record<string, unknown> = {};
  for (const { col, vector, read } of columns) {
    const v = vector?.get(i) as unknown;
    row[col.name] = v === null || v === undefined ? null : read(v);
  }
  return row as StoredRunRecord;
}

/** The records of a results table; `where` (its file) names it in an error. */
export function tableToRecords(table: Table, where = 'results table'): StoredRunRecord[] {
  const columns = columnReaders(table, where);
  return Array.from({ length: table.numRows }, (_, i) => recordAt(columns, i));
}

/**
 * tableToRecords a slice of rows at a time, between turns of the event loop: decoding takes about
 * 25 µs a row, so a sweep's thousands of rows in one go would hold a caller's loop for 100 ms and more.
 * `batches` may decode each batch as it is asked for (a journal's, see journalBatches): a turn
 * passes before each batch too, so no stretch grows with the number of batches. Stops with
 * `signal`'s reason at the first turn after it aborts.
 */
export async function tableToRecordsYielding(
  table: { schema: Schema; batches: Iterable<RecordBatch> },
  rowsPerTurn = 500,
  where = 'results table',
  signal?: AbortSignal,
): Promise<StoredRunRecord[]> {
  const out: StoredRunRecord[] = [];
  let batches = 0;
  for (const batch of table.batches) {
    const columns = columnReaders(batch, where);
    for (let i = 0; i < batch.numRows; i++) {
      if (i > 0 && i % rowsPerTurn === 0) {
        await nextTurn();
        signal?.throwIfAborted();
      }
      out.push(recordAt(columns, i));
    }
    batches++;
    // The next batch's decode (Arrow's, where the batches are read as they are asked for) on a turn of its own.
    await nextTurn();
    signal?.throwIfAborted();
  }
  // Without a batch, the schema alone is checked (a missing column is named the same).
  if (batches === 0) columnReaders(new Table(table.schema), where);
  return out;
}
