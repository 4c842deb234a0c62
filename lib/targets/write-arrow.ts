// The Arrow IPC form of a targets file (`distprompt targets -o x.arrow`): one row per target, its
// `id`, the metadata the JSON form's `meta` holds as columns of their own (what a researcher
// filters on in polars or DuckDB: kind, entropyBits, outliers, ...; the kind's parameters as JSON
// text in `params`), and the distribution itself in `target`, a list of float32 per row, the
// column file.ts reads back. The schema's metadata holds the vocabulary, as the JSON's `vocabSize`,
// and the data's digest (lib/io/arrow-digest.ts), which file.ts checks.
import { Field, Int64, List, makeData, RecordBatch, Schema, Struct, Table, type Data, type Float } from 'apache-arrow';

import { arrowFileWithDigest } from '../io/arrow-digest.js';
import { columnData } from '../results/encode.js';
import { arrowType, type ColumnKind } from '../results/schema.js';
import { ARROW_VOCAB_KEY } from './file.js';
import type { TargetMeta } from './synthesize.js';

/** seed is an Int64 (seeds pass 2^32); every other column is one of the results file's kinds. */
type Kind = ColumnKind | 'int64' | 'json';

/**
 * A column per field of the metadata, in file order (an object keeps its keys' order); the
 * compiler holds this list to TargetMeta, so a field added there needs a column here. nullable:
 * null where the target's kind lacks it.
 */
const META_COLUMNS: { [K in keyof TargetMeta]-?: { kind: Kind; nullable: boolean } } = {
  id: { kind: 'utf8', nullable: false },
  kind: { kind: 'utf8', nullable: false },
  entropyBits: { kind: 'float64', nullable: false },
  requestedEntropyBits: { kind: 'float64', nullable: true },
  seed: { kind: 'int64', nullable: false },
  params: { kind: 'json', nullable: false },
  outliers: { kind: 'int32', nullable: true },
  outlierMass: { kind: 'float64', nullable: true },
  m: { kind: 'float64', nullable: true },
  sourceModel: { kind: 'utf8', nullable: true },
  shuffleIndex: { kind: 'int32', nullable: true },
  posTag: { kind: 'utf8', nullable: true },
  lmPromptIds: { kind: 'int32List', nullable: true },
  pairedWith: { kind: 'utf8', nullable: true },
};

const ordered = Object.entries(META_COLUMNS) as [keyof TargetMeta, { kind: Kind; nullable: boolean }][];

function metaColumn(
  name: keyof TargetMeta,
  kind: Kind,
  meta: readonly TargetMeta[],
): { type: Field['type']; data: Data } {
  const values = meta.map((m) => m[name] ?? null);
  if (kind === 'int64') {
    const type = new Int64();
    const data = BigInt64Array.from(values as number[], (v) => BigInt(v));
    return { type, data: makeData({ type, length: values.length, nullCount: 0, data }) };
  }
  if (kind === 'json') {
    const type = arrowType('utf8');
    return {
      type,
      data: columnData(
        'utf8',
        type,
        values.map((v) => JSON.stringify(v)),
      ),
    };
  }
  const type = arrowType(kind);
  return { type, data: columnData(kind, type, values) };
}

/** The Arrow IPC file of `meta.length` targets over `vocab` tokens, row r of `data` the target meta[r]. */
export function targetArrowBytes(data: Float32Array, meta: readonly TargetMeta[], vocab: number): Uint8Array {
  const rows = meta.length;
  const fields: Field[] = [];
  const children: Data[] = [];
  for (const [name, { kind, nullable }] of ordered) {
    const { type, data: column } = metaColumn(name, kind, meta);
    fields.push(new Field(name, type, nullable));
    children.push(column);
  }
  // The rows as they are: the list's values are `data` itself, not a copy (a vanilla grid over a
  // 128k vocabulary is 167 MiB of them).
  const list = arrowType('float32List') as List<Float>;
  const valueOffsets = Int32Array.from({ length: rows + 1 }, (_, r) => r * vocab);
  const values = makeData({ type: list.valueType, length: data.length, nullCount: 0, data });
  fields.push(new Field('target', list, false));
  children.push(makeData({ type: list, length: rows, nullCount: 0, valueOffsets, child: values }));
  const schema = new Schema(fields, new Map([[ARROW_VOCAB_KEY, String(vocab)]]));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
  return arrowFileWithDigest(new Table(schema, batch));
}
