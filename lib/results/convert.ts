// RunRecord[] ⇄ Arrow record batches.

import { setImmediate as nextTurn } from 'node:timers/promises';

import { makeData, RecordBatch, Struct, type Schema, type Table } from 'apache-arrow';
import { columnData } from './encode.js';
import { arrowType, COLUMNS, ResultsError, SCHEMA_VERSION } from './schema.js';
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

type ColumnReader = { col: (typeof COLUMNS)[number]; vector: ReturnType<Table['getChild']> };

function columnReaders(table: Table): ColumnReader[] {
  const version = Number(table.schema.metadata.get('distprompt.schemaVersion') ?? SCHEMA_VERSION);
  return COLUMNS.map((col) => {
    const vector = table.getChild(col.name);
    // A column added after the file's schema version reads as null (old files stay readable).
    if (!vector && col.since > version) return { col, vector: null };
    if (!vector) throw new ResultsError(`results table has no column '${col.name}'`);
    return { col, vector };
  });
}

function recordAt(columns: readonly ColumnReader[], i: number): StoredRunRecord {
  const row: Record<string, unknown> = {};
  for (const { col, vector } of columns) {
    const v = vector?.get(i) as unknown;
    if (v === null || v === undefined) row[col.name] = null;
    else if (col.kind === 'int32List' || col.kind === 'float32List') row[col.name] = Array.from(v as Iterable<number>);
    else row[col.name] = v;
  }
  return row as StoredRunRecord;
}

export function tableToRecords(table: Table): StoredRunRecord[] {
  const columns = columnReaders(table);
  return Array.from({ length: table.numRows }, (_, i) => recordAt(columns, i));
}

/**
 * tableToRecords a slice of rows at a time, between turns of the event loop: decoding takes about
 * 25 µs a row, so a sweep's thousands of rows in one go would hold a caller's loop for 100 ms and more.
 */
export async function tableToRecordsYielding(table: Table, rowsPerTurn = 500): Promise<StoredRunRecord[]> {
  const columns = columnReaders(table);
  const out: StoredRunRecord[] = [];
  for (let i = 0; i < table.numRows; i++) {
    if (i > 0 && i % rowsPerTurn === 0) await nextTurn();
    out.push(recordAt(columns, i));
  }
  return out;
}
