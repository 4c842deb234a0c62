// A results file another tool wrote back: pyarrow, polars and DuckDB keep the schema's metadata and
// the values, but may reorder columns, add their own, and widen types (Python integers to int64,
// which apache-arrow reads as BigInt; a pandas round trip's float64 for a nullable int32 column;
// large strings, dictionaries, lists of int64). Such a file reads as the original does, record for
// record, and merges and plots; a column of another kind, or one missing, is refused naming the
// file and the column. The rewrites are made here with apache-arrow, as those tools write them.
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  List,
  Schema,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { mergeResults, readResults, report, ResultsError, runSweep, type Results } from '../lib/index.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('results-rewritten');
const original = join(dir, 'r.arrow');
let source: Table;
let read: Results;

/** `name`.arrow: the original's columns as `columns` gives them, under the original's metadata. */
function rewrite(
  name: string,
  columns: (names: string[]) => Array<[string, Vector]>,
  metadata = source.schema.metadata,
): string {
  const built = new Table(Object.fromEntries(columns(source.schema.fields.map((f) => f.name))));
  const schema = new Schema(built.schema.fields, metadata);
  const path = join(dir, `${name}.arrow`);
  writeFileSync(
    path,
    tableToIPC(
      new Table(
        schema,
        built.batches.map((b) => b),
      ),
      'file',
    ),
  );
  return path;
}
const same = (n: string): [string, Vector] => [n, source.getChild(n)!];
const values = (n: string): unknown[] => Array.from(source.getChild(n)!);
/** The original's column `n` rebuilt as Arrow `type`, each value but null through `convert`. */
const column = (n: string, type: DataType, convert: (v: unknown) => unknown = (v) => v): [string, Vector] => [
  n,
  vectorFromArray(
    values(n).map((v) => (v === null ? null : convert(v))),
    type,
  ),
];

beforeAll(async () => {
  await runSweep(
    {
      model: 'random:micro',
      output: original,
      targets: [
        { kind: 'outlier', entropyBits: [2], outliers: 2 },
        { kind: 'lm', count: 1 },
      ],
      methods: [{ method: 'soft' }, { method: 'hard' }],
      inits: 2,
      maxEpochs: 3,
      bound: false,
    },
    { figures: false },
  );
  source = tableFromIPC(readFileSync(original));
  read = await readResults(original);
});

describe('a results file another tool rewrote', () => {
  it('reads record for record as the original, merges and reports, with its types widened or its columns reordered', async () => {
    const ints = ['initId', 'candidates', 'prefixLength', 'bestEpoch', 'epochs', 'shardIndex'];
    const texts = ['rowId', 'targetId', 'promptText'];
    const files = {
      reordered: rewrite('reordered', (names) => [
        ...names.reverse().map(same),
        ['mine', vectorFromArray(values('klNats'))],
      ]),
      int64: rewrite('int64', (names) =>
        names.map((n) => (ints.includes(n) ? column(n, new Int64(), (v) => BigInt(v as number)) : same(n))),
      ),
      pandas: rewrite('pandas', (names) =>
        names.map((n) => (n === 'outliers' || n === 'shuffleIndex' ? column(n, new Float64(), Number) : same(n))),
      ),
      strings: rewrite('strings', (names) =>
        names.map((n) =>
          texts.includes(n)
            ? column(n, new LargeUtf8())
            : n === 'method' || n === 'stopReason'
              ? column(n, new Dictionary(new Utf8(), new Int32()))
              : same(n),
        ),
      ),
      lists: rewrite('lists', (names) =>
        names.map((n) =>
          n === 'promptIds' || n === 'lmPromptIds'
            ? column(n, new List(new Field('item', new Int64(), true)), (v) => Array.from(v as Int32Array, BigInt))
            : same(n),
        ),
      ),
    };
    for (const [name, path] of Object.entries(files)) {
      const again = await readResults(path);
      expect(again.records, name).toEqual(read.records);
      const merged = join(dir, `merged-${name}.arrow`);
      expect((await mergeResults([path], merged)).rows, name).toBe(read.records.length);
      expect((await readResults(merged)).records, name).toEqual(read.records);
      await report(path, join(dir, `${name}.html`));
    }
  });

  it('is refused, naming the file and the column, where a column holds another kind of value or is missing', async () => {
    const text = rewrite('text', (names) =>
      names.map((n) => (n === 'epochs' ? column(n, new Utf8(), String) : same(n))),
    );
    const e = await readResults(text).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ResultsError);
    expect((e as Error).message).toBe(
      `${text}: column 'epochs' is Utf8, where a results file has Int32: cast it back before writing the file (pyarrow: .cast(pa.int32()))`,
    );
    const dropped = rewrite('dropped', (names) => names.filter((n) => n !== 'klNats').map(same));
    await expect(mergeResults([dropped], join(dir, 'm.arrow'))).rejects.toThrow(
      `${dropped}: no column 'klNats', which results files of schema version 3 have`,
    );
  });
});

describe('a results file of another version', () => {
  it('whose stored spec this version does not read is named, with the version that wrote it, by a merge', async () => {
    // A field a later version added to the spec (or an earlier one had), in a file it wrote.
    const metadata = new Map(source.schema.metadata);
    const spec = JSON.parse(metadata.get('distprompt.spec')!) as Record<string, unknown>;
    metadata.set('distprompt.spec', JSON.stringify({ ...spec, warmupEpochs: 3 }));
    metadata.set('distprompt.version', '9.0.0');
    const later = rewrite('later', (names) => names.map(same), metadata);
    expect((await readResults(later)).records).toEqual(read.records);
    const e = await mergeResults([later], join(dir, 'm-later.arrow')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ResultsError);
    expect((e as Error).message).toMatch(
      new RegExp(
        `^cannot merge ${later}: the sweep spec it stores is not a valid spec: it was written by distprompt 9\\.0\\.0, ` +
          `and distprompt \\S+ does not read it \\(\\(spec\\): unknown field 'warmupEpochs' \\(known: [^)]*\\)\\): merge it with the distprompt that wrote it$`,
      ),
    );
    // The same field in a file this version wrote: the file was edited since.
    metadata.set('distprompt.version', source.schema.metadata.get('distprompt.version')!);
    const edited = rewrite('edited', (names) => names.map(same), metadata);
    await expect(mergeResults([edited], join(dir, 'm-edited.arrow'))).rejects.toThrow(
      /this version wrote it, so it was changed since \(\(spec\): unknown field 'warmupEpochs' \(known: [^)]*\)\): give the file as the sweep wrote it$/,
    );
  });
});
