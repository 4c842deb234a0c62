// docs/results-schema.md against a results file as the writer leaves it on disk: the columns
// table (names in order, Arrow types, nullability), the schema version the page states, and the
// metadata table (every key a shard file carries), read back with Arrow.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';

import { ResultWriter, type RunRecord } from '../lib/results/index.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { scratchDir } from './helpers/cli.js';

const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'results-schema.md'), 'utf8');
const dir = scratchDir('schema-doc');

/** The body rows of the first table under `heading`, as trimmed cells (`\|` kept inside a cell). */
function table(heading: string): string[][] {
  const lines = doc.split('\n');
  const at = lines.indexOf(heading);
  if (at < 0) throw new Error(`docs/results-schema.md has no heading '${heading}'`);
  const start = lines.findIndex((l, j) => j > at && l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i].startsWith('|'); i++)
    rows.push(
      lines[i]
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  return rows;
}
const code = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell;

/** The doc's type words as apache-arrow prints the type. */
const ARROW_TYPE: Record<string, string> = {
  utf8: 'Utf8',
  'utf8 (JSON)': 'Utf8',
  int32: 'Int32',
  float64: 'Float64',
  bool: 'Bool',
  'list\\<int32\\>': 'List<Int32>',
  'list\\<float32\\>': 'List<Float32>',
};

/** A one-row shard file written by the real writer, read back by Arrow's own reader. */
async function writtenShard() {
  const spec = parseSpec({ targets: [{ kind: 'vanilla', entropyBits: [1] }], methods: [{ method: 'soft' }], inits: 1 });
  // The planned row's own fields (ids, method), then a result's.
  const { rowId, targetId, initId, method, pattern, candidates } = planSweep(spec, 16).rows[0];
  const result = { klNats: 0.5, bestEpoch: 3, epochs: 9, stopReason: 'patience' as const, wallMs: 4 };
  const record: RunRecord = {
    ...{ rowId, targetId, initId, method, pattern, candidates, targetKind: 'vanilla', prefixLength: 5 },
    ...{ ...result, modelEntropyBits: 1.1, targetEntropyBits: 1, requestedEntropyBits: 1, shardIndex: 0 },
  };
  const out = join(dir, 'shard.arrow');
  const shard = { index: 0, count: 1 };
  const writer = await ResultWriter.create(out, {
    spec: parseSpec({ ...spec, shard }),
    model: { name: 'random:micro', hash: 'ab'.repeat(32) },
    vocabSize: 16,
    version: '0.1.0',
    build: { torch: '2.x' },
    shard,
    // Written only for a sweep of file targets: given, so that the file carries every key.
    targetFiles: { 'targets.json': 'cd'.repeat(32) },
  });
  await writer.append([record]);
  await writer.finish();
  return tableFromIPC(readFileSync(out)).schema;
}

describe('docs/results-schema.md', () => {
  let schema: Awaited<ReturnType<typeof writtenShard>>;
  beforeAll(async () => {
    schema = await writtenShard();
  });

  it('lists every column of a written file in its order, with its Arrow type and nullability', () => {
    const rows = table('## Columns');
    expect(rows.map((r) => code(r[0]))).toEqual(schema.fields.map((f) => f.name));
    for (const [name, type, nullable] of rows) {
      const field = schema.fields.find((f) => f.name === code(name))!;
      expect(ARROW_TYPE[type], `${name}: a type the test knows`).toBeDefined();
      expect(field.type.toString(), name).toBe(ARROW_TYPE[type]);
      expect(field.nullable, name).toBe(nullable === 'yes');
    }
  });

  it('states the schema version a file carries, and every metadata key a shard file has', () => {
    const metadata = schema.metadata;
    const version = metadata.get('distprompt.schemaVersion');
    expect(doc).toContain(`Schema version: \`${version}\``);
    const rows = table('## Schema metadata');
    expect(rows.map((r) => code(r[0])).sort()).toEqual([...metadata.keys()].sort());
    // The version is stated once, in the text above the table: a number in the table goes stale.
    for (const [key, value] of rows) expect(value, key).not.toMatch(/^`\d+`$/);
  });
});
