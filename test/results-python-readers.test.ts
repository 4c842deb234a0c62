// A real sweep's results file as researchers read it: pyarrow, and polars and DuckDB where the
// Python that has pyarrow has them too (each checked only where importable; the whole test is
// skipped without pyarrow). Every column of COLUMNS must come back with its documented type in
// each reader, with the same nulls and values as distprompt's own reader, and every metadata
// value that the schema page calls JSON must parse.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { readResults, ResultsError } from '../lib/results/index.js';
import { COLUMNS, type ColumnKind } from '../lib/results/schema.js';
import { findPython } from './helpers/python.js';
import { cli, scratchDir } from './helpers/cli.js';

const python = findPython(['pyarrow']);
if (!python)
  console.warn('[results-python-readers] SKIP: no Python with pyarrow (set DISTPROMPT_PYTHON or pip install pyarrow)');

const dir = scratchDir('python-readers');

/** Each reader's name for a column kind. */
const TYPES: Record<ColumnKind, { pyarrow: string; polars: string; duckdb: string }> = {
  utf8: { pyarrow: 'string', polars: 'String', duckdb: 'VARCHAR' },
  int32: { pyarrow: 'int32', polars: 'Int32', duckdb: 'INTEGER' },
  float64: { pyarrow: 'double', polars: 'Float64', duckdb: 'DOUBLE' },
  bool: { pyarrow: 'bool', polars: 'Boolean', duckdb: 'BOOLEAN' },
  int32List: { pyarrow: 'list<item: int32 not null>', polars: 'List(Int32)', duckdb: 'INTEGER[]' },
  float32List: { pyarrow: 'list<item: float not null>', polars: 'List(Float32)', duckdb: 'FLOAT[]' },
};

// Prints, per reader present, each column's type and null count, and the text and id columns'
// values; and the metadata parsed as JSON where the schema page says it is JSON.
const SCRIPT = `
import json, sys, pyarrow.ipc as ipc
path = sys.argv[1]
t = ipc.open_file(path).read_all()
md = {k.decode(): v.decode() for k, v in t.schema.metadata.items()}
out = {"pyarrow": {f.name: [str(f.type), t.column(f.name).null_count] for f in t.schema},
       "metadata": {k: json.loads(md[k]) for k in ["distprompt.schemaVersion", "distprompt.spec", "distprompt.model",
                                                    "distprompt.vocabSize", "distprompt.build"]},
       "promptText": t.column("promptText").to_pylist(), "promptIds": t.column("promptIds").to_pylist(),
       "softLengths": [None if s is None else len(s) for s in t.column("softPrompt").to_pylist()]}
try:
    import polars as pl
    df = pl.read_ipc(path, memory_map=False)
    out["polars"] = {n: [str(d), df[n].null_count()] for n, d in df.schema.items()}
    out["polarsText"] = df["promptText"].to_list()
except ImportError:
    pass
try:
    import duckdb
    con = duckdb.connect()
    con.register("t", t)
    out["duckdb"] = {r[0]: [r[1], con.execute(f'SELECT count(*) - count("{r[0]}") FROM t').fetchone()[0]]
                     for r in con.execute("DESCRIBE SELECT * FROM t").fetchall()}
except ImportError:
    pass
print(json.dumps(out))
`;

// The file as pyarrow writes it back, its schema metadata kept: in record batches of 5 rows, and
// again with the first row's klNats changed.
const REWRITE = `
import sys, pyarrow as pa, pyarrow.ipc as ipc
src, same, edited = sys.argv[1:4]
t = ipc.open_file(src).read_all()
def write(path, table):
    with ipc.new_file(path, table.schema) as w:
        w.write_table(table, max_chunksize=5)
write(same, t)
kl = t.column("klNats").to_pylist()
kl[0] += 1
i = t.schema.get_field_index("klNats")
write(edited, t.set_column(i, t.schema.field(i), pa.array(kl, pa.float64())))
`;

describe.skipIf(!python)('a sweep results file in Python readers', () => {
  let got: Record<string, unknown> & {
    pyarrow: Record<string, [string, number]>;
    metadata: Record<string, unknown>;
    promptText: (string | null)[];
    promptIds: number[][];
    softLengths: (number | null)[];
    polars?: Record<string, [string, number]>;
    polarsText?: (string | null)[];
    duckdb?: Record<string, [string, number]>;
  };
  let ours: Awaited<ReturnType<typeof readResults>>;
  const out = join(dir, 'r.arrow');

  beforeAll(async () => {
    // Every kind of row: soft, hard and hybrid prompts, soft prompts stored, targets with and
    // without a requested entropy, lm targets with their prompts.
    writeFileSync(
      join(dir, 'spec.json'),
      JSON.stringify({
        model: 'random:tiny-gpt2',
        targets: [
          { kind: 'vanilla', entropyBits: [1, 3], method: 'temperature' },
          { kind: 'lm', count: 1 },
        ],
        methods: [{ method: 'soft' }, { method: 'hard', candidates: 2 }, { method: 'hybrid', pattern: 'HSH' }],
        prefixLength: 3,
        inits: 1,
        maxEpochs: 3,
        patience: 3,
        softPrompts: true,
      }),
    );
    const run = spawnSync(process.execPath, [cli, 'sweep', '-c', 'spec.json', '-o', out, '--no-figures', '-q'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    ours = await readResults(out);
    const py = spawnSync(python!, ['-c', SCRIPT, out], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(py.status, py.stderr).toBe(0);
    got = JSON.parse(py.stdout);
  }, 120_000);

  it('every column has its documented type in each reader present, and the nulls our reader sees', () => {
    const nulls = (name: string) =>
      ours.records.filter((r) => (r as unknown as Record<string, unknown>)[name] === null).length;
    for (const reader of ['pyarrow', 'polars', 'duckdb'] as const) {
      const cols = got[reader];
      if (!cols) {
        console.warn(`[results-python-readers] ${reader} not installed beside pyarrow: not checked`);
        continue;
      }
      expect(Object.keys(cols)).toEqual(COLUMNS.map((c) => c.name));
      for (const c of COLUMNS) {
        expect([c.name, cols[c.name][0]]).toEqual([c.name, TYPES[c.kind][reader]]);
        expect([c.name, cols[c.name][1]]).toEqual([c.name, nulls(c.name)]);
      }
    }
    // 4 targets (2 vanilla, 1 lm and its paired vanilla) × 3 methods; columns null on some rows only
    expect(ours.records.length).toBe(12);
    for (const name of ['requestedEntropyBits', 'promptText', 'softPrompt', 'lmPromptIds', 'pairedWith'])
      expect([name, nulls(name) > 0 && nulls(name) < 12]).toEqual([name, true]);
  });

  it('the metadata the schema page calls JSON parses, and says what the file is', () => {
    expect(got.metadata['distprompt.schemaVersion']).toBe(3);
    expect(got.metadata['distprompt.model']).toEqual(ours.metadata.model);
    expect(got.metadata['distprompt.vocabSize']).toBe(50257);
    expect((got.metadata['distprompt.spec'] as { softPrompts: boolean }).softPrompts).toBe(true);
  });

  it("written back by pyarrow, its data's digest still matches; with a value changed there, it is refused", async () => {
    const same = join(dir, 'pyarrow-same.arrow');
    const edited = join(dir, 'pyarrow-edited.arrow');
    const py = spawnSync(python!, ['-c', REWRITE, out, same, edited], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    expect((await readResults(same)).records).toEqual(ours.records);
    const e = await readResults(edited).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ResultsError);
    expect((e as Error).message).toContain(
      `${edited}: its data do not match the digest written with it (column 'klNats'): it was damaged or edited after it was written`,
    );
  });

  it('prompt ids, prompt text and soft prompts read back as distprompt wrote them', () => {
    expect(got.promptIds).toEqual(ours.records.map((r) => Array.from(r.promptIds!)));
    expect(got.promptText).toEqual(ours.records.map((r) => r.promptText));
    if (got.polarsText) expect(got.polarsText).toEqual(got.promptText);
    ours.records.forEach((r, i) => {
      expect(got.softLengths[i]).toBe(r.method === 'hard' ? null : 3 * 64);
      if (r.method === 'soft') expect(got.promptText[i]).toBeNull();
      if (r.method === 'hybrid') expect(got.promptText[i]).toContain('⟨soft⟩');
    });
  });
});
