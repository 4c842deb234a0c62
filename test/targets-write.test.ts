// What `distprompt targets` writes, each form read back by the real reader with the targets' ids:
// Arrow (ids, metadata columns, the float32 rows bit for bit), safetensors (the rows, the ids in
// its header's __metadata__), JSON built a row at a time (the bytes one JSON.stringify of the whole
// set gave, without its string limit); and a JSON set too large to read back refused before it is
// made, and a set no file could be read back in refused in every form.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tableFromIPC, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { readTargetFile } from '../lib/targets/file.js';
import { synthesizeTargets } from '../lib/targets/index.js';
import { targetFileBytes } from '../lib/targets/write.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { findPython } from './helpers/python.js';
import { interruptWhen, runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('targets-write');
/** The target id of each row `tune` printed. */
const rowTargetIds = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0]);

const run = (args: string[]) => runCli(args, dir);

const V = 1000; // random:micro's vocabulary
/** Real outlier targets over V tokens (outliers, outlierMass and m set; sourceModel, posTag... not). */
const outliers = async () => {
  const set = await synthesizeTargets({ vocabSize: V }, { kind: 'outlier', entropyBits: [1, 5], outliers: 2, seed: 3 });
  try {
    return { data: set.toArray(), meta: set.meta };
  } finally {
    set.dispose();
  }
};
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
/** A safetensors file's header as JSON, and where its data begins. */
const header = (bytes: Uint8Array) => {
  const buf = Buffer.from(bytes);
  const n = Number(buf.readBigUInt64LE(0));
  return { json: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>, dataStart: 8 + n };
};

describe('JSON and safetensors', () => {
  it('JSON row by row is the bytes of one JSON.stringify; safetensors holds the same float32 rows and the ids', async () => {
    const { data, meta } = await outliers();
    const json = Buffer.from(targetFileBytes('t.json', data, meta, V)).toString('utf8');
    const rows = [Array.from(data.subarray(0, V)), Array.from(data.subarray(V))];
    expect(json).toBe(JSON.stringify({ vocabSize: V, meta, targets: rows }));
    const st = targetFileBytes('t.safetensors', data, meta, V);
    const { json: h, dataStart } = header(st);
    expect(h).toEqual({
      __metadata__: { ids: JSON.stringify(meta.map((m) => m.id)) },
      targets: { dtype: 'F32', shape: [2, V], data_offsets: [0, 2 * V * 4] },
    });
    expect(dataStart % 8).toBe(0); // the rows start aligned, as safetensors' own writer leaves them
    expect(bits(new Float32Array(new Uint8Array(st.subarray(dataStart)).buffer))).toEqual(bits(data));
  });

  it('writes .safetensors that keeps the ids, and tune names its rows by them', () => {
    const common = ['targets', '-m', 'random:micro', '--entropy', '1,5'];
    expect(run([...common, '-o', 't.json']).status).toBe(0);
    const r = run([...common, '-o', 't.safetensors']);
    expect(r.status, r.stderr).toBe(0);
    const [json, st] = [readTargetFile(join(dir, 't.json'), V), readTargetFile(join(dir, 't.safetensors'), V)];
    expect(st.rows).toBe(2);
    expect(bits(st.data)).toEqual(bits(json.data));
    expect(st.ids).toEqual(['vanilla:h=1:s=0', 'vanilla:h=5:s=0']);
    expect(st.ids).toEqual(json.ids);
    // 4 bytes a value and a header, where the JSON takes ~20 a value.
    expect(readFileSync(join(dir, 't.safetensors')).length).toBeLessThan(8 + 2 * V * 4 + 200);
    expect(readFileSync(join(dir, 't.json')).length).toBeGreaterThan(2 * V * 15);
    const tuned = run([
      'tune',
      '-m',
      'random:micro',
      '--targets',
      't.safetensors',
      '--max-epochs',
      '2',
      '--inits',
      '1',
    ]);
    expect(tuned.status, tuned.stderr).toBe(0);
    expect(rowTargetIds(tuned.stdout)).toEqual(st.ids);
  });

  it("a sweep over a safetensors file records each row's id from the file (targetParams' sourceId)", async () => {
    const made = run(['targets', '-m', 'random:micro', '--kind', 'lm', '--count', '2', '-o', 'sweep.safetensors']);
    expect(made.status, made.stderr).toBe(0);
    const cfg = writeMicroConfig(dir, 'sweep.json', { targets: [{ kind: 'file', path: 'sweep.safetensors' }] });
    const r = run(['sweep', '-c', cfg, '-o', 'sweep.arrow', '--no-figures', '--no-bound', '-q']);
    expect(r.status, r.stderr).toBe(0);
    const { records } = await readResults(join(dir, 'sweep.arrow'));
    // A sweep's own target ids follow its plan (the file's path and row); the file's id is kept beside.
    const byRow = records.map((x) => [x.targetId, JSON.parse(x.targetParams!).sourceId as string]).sort();
    expect(byRow).toEqual([
      ['file:sweep.safetensors:i=0', 'lm:n=5:i=0'],
      ['file:sweep.safetensors:i=1', 'lm:n=5:i=1'],
    ]);
  });

  it('a safetensors file without ids reads as before (target:0, ...); malformed ids are refused naming the file', async () => {
    const { data, meta } = await outliers();
    const good = targetFileBytes('t.safetensors', data, meta, V);
    const { json: h, dataStart } = header(good);
    /** The same rows under a header whose __metadata__ is `metadata` (left out when undefined). */
    const withIds = (name: string, metadata: Record<string, string> | undefined) => {
      const text = Buffer.from(JSON.stringify({ ...(metadata && { __metadata__: metadata }), targets: h.targets }));
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(text.length));
      const path = join(dir, name);
      writeFileSync(path, Buffer.concat([length, text, Buffer.from(good.subarray(dataStart))]));
      return path;
    };
    const bare = readTargetFile(withIds('bare.safetensors', undefined), V);
    expect(bare.ids).toEqual(['target:0', 'target:1']);
    expect(bits(bare.data)).toEqual(bits(data));
    // Other metadata (a converter's `format`) is no business of the reader's.
    expect(readTargetFile(withIds('format.safetensors', { format: 'pt' }), V).ids).toEqual(['target:0', 'target:1']);
    const cases: [string, string, RegExp][] = [
      ['not-json', '[a, b', /__metadata__\.ids is not JSON \(.*\); it must be a JSON array of 2 string ids/],
      ['object', '{"a":1}', /__metadata__\.ids is \{"a":1\}, not an array; it must be a JSON array of 2/],
      ['count', '["a","b","c"]', /__metadata__\.ids holds 3 ids for 2 rows; it must be a JSON array of 2/],
      ['number', '["a",7]', /target 1 has the id 7; an id must be a non-empty string/],
      ['twice', '["a","a"]', /targets 0 and 1 both have the id 'a'; ids must be unique/],
    ];
    for (const [name, ids, message] of cases) {
      const path = withIds(`${name}.safetensors`, { ids });
      expect(() => readTargetFile(path, V)).toThrow(`targets file ${path}: `);
      expect(() => readTargetFile(path, V)).toThrow(message);
    }
    // On the command line: exit 2, the file named, no stack trace.
    const r = run([
      'tune',
      '-m',
      'random:micro',
      '--targets',
      'count.safetensors',
      '--max-epochs',
      '1',
      '--inits',
      '1',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/targets file count\.safetensors: __metadata__\.ids holds 3 ids for 2 rows/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a name that is neither Arrow nor safetensors is written as JSON and read back as JSON', () => {
    const r = run(['targets', '-m', 'random:micro', '--entropy', '2', '-o', 't.txt']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 't.txt'), 'utf8')).meta[0].id).toBe('vanilla:h=2:s=0');
    expect(readTargetFile(join(dir, 't.txt'), V).ids).toEqual(['vanilla:h=2:s=0']);
  });
});

describe('Arrow', () => {
  it('holds the ids, every metadata field as a column and the rows bit for bit; the reader takes them back', async () => {
    const { data, meta } = await outliers();
    const path = join(dir, 'direct.arrow');
    writeFileSync(path, targetFileBytes(path, data, meta, V));
    const back = readTargetFile(path, V);
    expect(back.ids).toEqual(meta.map((m) => m.id));
    expect(bits(back.data)).toEqual(bits(data));

    const table = tableFromIPC(readFileSync(path));
    expect(table.schema.metadata.get('distprompt.vocabSize')).toBe(String(V));
    const types = Object.fromEntries(
      table.schema.fields.map((f) => [f.name, `${String(f.type)}${f.nullable ? '?' : ''}`]),
    );
    expect(types).toEqual({
      id: 'Utf8',
      kind: 'Utf8',
      entropyBits: 'Float64',
      requestedEntropyBits: 'Float64?',
      seed: 'Int64',
      params: 'Utf8',
      outliers: 'Int32?',
      outlierMass: 'Float64?',
      m: 'Float64?',
      sourceModel: 'Utf8?',
      shuffleIndex: 'Int32?',
      posTag: 'Utf8?',
      lmPromptIds: 'List<Int32>?',
      pairedWith: 'Utf8?',
      target: 'List<Float32>',
    });
    const col = (name: string) => table.getChild(name)!;
    meta.forEach((m, r) => {
      expect(col('kind').get(r)).toBe('outlier');
      expect(col('entropyBits').get(r)).toBe(m.entropyBits);
      expect(col('requestedEntropyBits').get(r)).toBe(m.requestedEntropyBits);
      expect(col('seed').get(r)).toBe(BigInt(m.seed));
      expect(JSON.parse(col('params').get(r) as string)).toEqual(m.params);
      expect(col('outliers').get(r)).toBe(2);
      expect(col('outlierMass').get(r)).toBe(m.outlierMass);
      expect(col('m').get(r)).toBe(m.m);
      for (const absent of ['sourceModel', 'shuffleIndex', 'posTag', 'lmPromptIds', 'pairedWith'])
        expect(col(absent).get(r)).toBeNull();
      expect(bits((col('target').get(r) as Vector).toArray() as Float32Array)).toEqual(
        bits(data.subarray(r * V, (r + 1) * V)),
      );
    });
    // Over another model's vocabulary, the file's own vocabulary is named.
    expect(() => readTargetFile(path, 50257)).toThrow(`targets file ${path}: its 'vocabSize' is 1000`);
  });

  it('distprompt targets -o x.arrow writes it whole (lm targets: their prompt ids), and tune and bound name rows by id', () => {
    const r = run(['targets', '-m', 'random:micro', '--kind', 'lm', '--count', '2', '-o', 'lm.arrow']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('lm.arrow'))).toEqual(['lm.arrow']); // no temporary beside it
    const table = tableFromIPC(readFileSync(join(dir, 'lm.arrow')));
    const ids = ['lm:n=5:i=0', 'lm:n=5:i=1'];
    expect(table.getChild('id')!.toArray()).toEqual(ids);
    const prompts = [0, 1].map((i) => Array.from(table.getChild('lmPromptIds')!.get(i) as Iterable<number>));
    expect(prompts.map((p) => p.length)).toEqual([5, 5]);
    expect(prompts.map((p, i) => JSON.parse(table.getChild('params')!.get(i) as string).lmPromptIds)).toEqual(prompts);
    expect(readTargetFile(join(dir, 'lm.arrow'), V).ids).toEqual(ids);

    const tuned = run(['tune', '-m', 'random:micro', '--targets', 'lm.arrow', '--max-epochs', '2', '--inits', '1']);
    expect(tuned.status, tuned.stderr).toBe(0);
    expect(rowTargetIds(tuned.stdout)).toEqual(ids);
    const bound = run(['bound', '-m', 'random:micro', '--targets', 'lm.arrow', '--json']);
    expect(bound.status, bound.stderr).toBe(0);
    const records = bound.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { targetId: string });
    expect(records.map((b) => b.targetId)).toEqual(ids);
  });

  const python = findPython(['pyarrow']);
  it.skipIf(!python)('pyarrow reads the ids, the metadata and the float32 rows', async () => {
    const { data, meta } = await outliers();
    const path = join(dir, 'py.arrow');
    writeFileSync(path, targetFileBytes(path, data, meta, V));
    const script = [
      'import json, sys, pyarrow.ipc as ipc',
      't = ipc.open_file(sys.argv[1]).read_all()',
      'print(json.dumps({"id": t.column("id").to_pylist(), "kind": t.column("kind").to_pylist(),',
      '  "seed": [str(s) for s in t.column("seed").to_pylist()], "type": str(t.schema.field("target").type),',
      '  "target": t.column("target").to_pylist()}))',
    ].join('\n');
    const py = spawnSync(python!, ['-c', script, path], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(py.status, py.stderr).toBe(0);
    const got = JSON.parse(py.stdout) as {
      id: string[];
      kind: string[];
      seed: string[];
      type: string;
      target: number[][];
    };
    expect(got.id).toEqual(meta.map((m) => m.id));
    expect(got.kind).toEqual(['outlier', 'outlier']);
    expect(got.seed).toEqual(meta.map((m) => String(m.seed)));
    expect(got.type).toBe('list<item: float not null>');
    // Python's float of each float32, printed in full, is that float32 again.
    expect(bits(Float32Array.from(got.target.flat()))).toEqual(bits(data));
  });
});

it('refuses, before making them, targets whose JSON could not be read back, naming the binary forms', () => {
  // The paper's vanilla grid over Llama 3's vocabulary: 341 × 128,256 values, ~875 MB of JSON.
  const r = run(['targets', '-m', 'random:tiny-llama3', '--entropy', '0:max:0.05', '-o', 'big.json']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(
    /big\.json: 341 targets over 128,256 tokens make more JSON .* name the file \.arrow .* or \.safetensors .* 167 MiB/,
  );
  expect(r.stderr).not.toMatch(/Invalid string length/);
});

it('refuses, before making them, targets past the 2 GiB a file is read back in, in every form', () => {
  // 4,244 targets over Llama 3's vocabulary: 2,077 MiB of float32 rows.
  for (const out of ['huge.arrow', 'huge.json']) {
    const r = run(['targets', '-m', 'random:tiny-llama3', '--entropy', '0:max:0.004', '-o', out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `${out}: 4,244 targets over 128,256 tokens make a file of at least 2,077 MiB, past the 2 GiB a targets file is read back in`,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('huge'))).toEqual([]);
  }
});

it('keeps an existing file unless --overwrite, and names a bad output before making anything', () => {
  const args = ['targets', '-m', 'random:micro', '--entropy', '2'];
  const first = run([...args, '-o', 'kept.json']);
  expect(first.status, first.stderr).toBe(0);
  const before = readFileSync(join(dir, 'kept.json'));
  const again = run([...args, '--entropy', '5', '-o', 'kept.json']);
  expect(again.status).toBe(2);
  expect(again.stderr).toContain('-o kept.json exists: add --overwrite to replace it, or give another name');
  expect(readFileSync(join(dir, 'kept.json')).equals(before)).toBe(true);
  const replaced = run([...args, '--entropy', '5', '-o', 'kept.json', '--overwrite']);
  expect(replaced.status, replaced.stderr).toBe(0);
  expect(readFileSync(join(dir, 'kept.json')).equals(before)).toBe(false);
  for (const [out, message] of [
    ['', 'the output is an empty path'],
    ['missing/t.json', 'the folder missing of the output missing/t.json does not exist'],
    ['.', '-o . is a directory'],
  ]) {
    const bad = run([...args, '-o', out]);
    expect(bad.status, out).toBe(2);
    expect(bad.stderr, out).toContain(message);
    expect(bad.stderr, out).not.toContain('synthesising');
  }
});

it('Ctrl-C while the targets are made says nothing was written, ends at once and leaves no file', async () => {
  const own = mkdtempSync(join(dir, 'interrupted-'));
  // Gradient synthesis of 49 targets over the demo model's 50,257 tokens: seconds, to interrupt it in.
  const args = ['targets', '-m', 'random:demo', '--method', 'gradient', '--entropy', '0:max:0.3', '-o', 't.arrow'];
  const { code, signal, err } = await interruptWhen(args, own, null, [2500]);
  // Ended by the signal itself, at once (a shell's 130), as the synthesis in the addon is not waited for.
  expect({ code, signal }, err).toEqual({ code: null, signal: 'SIGINT' });
  expect(err).toBe('distprompt: interrupted: no targets were written\n');
  expect(readdirSync(own)).toEqual([]);
});
