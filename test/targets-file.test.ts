// Targets files as a user hands them over, read by the real reader (lib/targets/file.ts) and,
// for the end-to-end rule (exit 2, nothing written), by a real sweep on the micro model: ids
// that could not name their rows apart, Arrow columns of the wrong type, NaN in a typed file,
// JSON past the size one JavaScript string holds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  Field,
  Float,
  Float16,
  Float32,
  Float64,
  Int32,
  List,
  Utf8,
  tableToIPC,
  Table,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import { readResults } from '../lib/results/index.js';
import { readTargetFile } from '../lib/targets/file.js';
import { firstBatchSaysItIs, MESSAGE_HEADER } from './helpers/arrow-damage.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { cli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('targets-file');

const V = 1000;
const uniform = () => Array.from({ length: V }, () => 1 / V);

/** An Arrow targets file: a List<item> `target` column and, if given, an `id` column. */
function arrowFile(name: string, rows: (number | null)[][], id?: unknown[], item: Float = new Float32()): string {
  const target = vectorFromArray(rows, new List(new Field('item', item, true)));
  const columns: Record<string, Vector> = { target };
  if (id) columns.id = vectorFromArray(id, id.every((x) => typeof x === 'number') ? new Int32() : new Utf8());
  const path = join(dir, name);
  writeFileSync(path, tableToIPC(new Table(columns), 'file'));
  return path;
}

describe('ids of a targets file', () => {
  it("a relative path that is not there is named with the working folder it was read from (a spec's folder is not)", () => {
    expect(() => readTargetFile('no-such-targets.json', V)).toThrow(
      `targets file no-such-targets.json: cannot read it (it does not exist in the working folder, ${process.cwd()})`,
    );
    expect(() => readTargetFile(join(dir, 'no-such-targets.json'), V)).toThrow(/\(it does not exist\)$/);
  });

  it('the same id twice in a JSON file is refused naming both targets (they name the rows of the results)', () => {
    const path = join(dir, 'twice.json');
    writeFileSync(path, JSON.stringify({ targets: [uniform(), uniform()], meta: [{ id: 'a' }, { id: 'a' }] }));
    expect(() => readTargetFile(path, V)).toThrow(`targets file ${path}: targets 0 and 1 both have the id 'a'`);
  });

  it('the same id twice in an Arrow file is refused the same way', () => {
    const path = arrowFile('twice.arrow', [uniform(), uniform(), uniform()], ['x', 'y', 'x']);
    expect(() => readTargetFile(path, V)).toThrow(`targets file ${path}: targets 0 and 2 both have the id 'x'`);
  });

  it("an Arrow 'id' of numbers, or a null id, is refused, not turned into '1' or 'null'", () => {
    const ints = arrowFile('int-ids.arrow', [uniform(), uniform()], [1, 2]);
    expect(() => readTargetFile(ints, V)).toThrow(`targets file ${ints}: column 'id' is Int32; ids must be strings`);
    const nulls = arrowFile('null-id.arrow', [uniform(), uniform()], ['x', null]);
    expect(() => readTargetFile(nulls, V)).toThrow(`targets file ${nulls}: target 1 has the id null`);
  });

  it('distinct string ids are kept, in order', () => {
    const path = arrowFile('ids.arrow', [uniform(), uniform()], ['x', 'y']);
    expect(readTargetFile(path, V).ids).toEqual(['x', 'y']);
  });
});

describe('values of typed targets files', () => {
  it('NaN in an Arrow or a safetensors row is named as NaN (not as null) with its target and token', () => {
    const row = uniform();
    row[5] = NaN;
    const path = arrowFile('nan.arrow', [uniform(), row]);
    expect(() => readTargetFile(path, V)).toThrow(
      `targets file ${path}: target 1 is not a distribution: value NaN at token 5 is not finite`,
    );
    const data = new Float32Array([...uniform(), ...row]);
    const header = Buffer.from(
      JSON.stringify({ targets: { dtype: 'F32', shape: [2, V], data_offsets: [0, data.byteLength] } }),
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const st = join(dir, 'nan.safetensors');
    writeFileSync(st, Buffer.concat([len, header, Buffer.from(data.buffer)]));
    expect(() => readTargetFile(st, V)).toThrow(
      `targets file ${st}: target 1 is not a distribution: value NaN at token 5 is not finite`,
    );
  });

  it('a null inside an Arrow row is named with its token', () => {
    const row: (number | null)[] = uniform();
    row[7] = null;
    const path = arrowFile('null-value.arrow', [row]);
    expect(() => readTargetFile(path, V)).toThrow(`targets file ${path}: target 0 holds null at token 7`);
  });

  it("a file cut short is said to be one, without the reader's own TypeError", () => {
    const whole = readFileSync(arrowFile('whole.arrow', [uniform()]));
    const path = join(dir, 'cut.arrow');
    writeFileSync(path, whole.subarray(0, 100));
    // Before: "… truncated: Cannot read properties of null (reading 'fieldsLength'))".
    expect(() => readTargetFile(path, V)).toThrow(
      new RegExp(`^targets file ${path}: cannot read it as Arrow \\(not Arrow IPC, or truncated\\)$`),
    );
  });

  it("a 'target' column that is not a list of numbers is refused naming its type", () => {
    const path = join(dir, 'strings.arrow');
    writeFileSync(path, tableToIPC(new Table({ target: vectorFromArray(['a', 'b'], new Utf8()) }), 'file'));
    expect(() => readTargetFile(path, V)).toThrow(
      `targets file ${path}: column 'target' is Utf8; it must be a list of numbers per row`,
    );
  });

  it('Float16 rows read as their values, not as the raw bits Arrow stores them in', () => {
    const path = arrowFile('f16.arrow', [[0.25, 0.25, 0.5, 0]], undefined, new Float16());
    expect(Array.from(readTargetFile(path, 4).data)).toEqual([0.25, 0.25, 0.5, 0]);
  });

  it('Float64 rows read as their float32 values', () => {
    const path = arrowFile('f64.arrow', [uniform()], undefined, new Float64());
    const { data, rows } = readTargetFile(path, V);
    expect(rows).toBe(1);
    expect(data[0]).toBe(Math.fround(1 / V));
  });
});

describe('a JSON targets file a user cannot have meant', () => {
  it("a 'vocabSize' other than the model's is refused naming both, even where the rows fit", () => {
    const path = join(dir, 'vocab.json');
    writeFileSync(path, JSON.stringify({ vocabSize: 50257, targets: [uniform()] }));
    expect(() => readTargetFile(path, V)).toThrow(
      `targets file ${path}: its 'vocabSize' is 50257, the model's vocabulary ${V}`,
    );
    const bad = join(dir, 'vocab-bad.json');
    writeFileSync(bad, JSON.stringify({ vocabSize: '1000', targets: [uniform()] }));
    expect(() => readTargetFile(bad, V)).toThrow(`targets file ${bad}: 'vocabSize' is "1000", not a positive integer`);
    const same = join(dir, 'vocab-same.json');
    writeFileSync(same, JSON.stringify({ vocabSize: V, targets: [uniform()] }));
    expect(readTargetFile(same, V).rows).toBe(1);
  });

  it('a row summing to 0.9 or 1.1 is refused telling to fix the row (a file has no renormalize to pass)', () => {
    for (const scale of [0.9, 1.1]) {
      const path = join(dir, `sums-${scale}.json`);
      writeFileSync(path, JSON.stringify({ targets: [uniform(), uniform().map((x) => x * scale)] }));
      expect(() => readTargetFile(path, V)).toThrow(
        /: target 1 is not a distribution: it sums to [\d.]+, not 1 \(within 1e-5\); rescale the row in the file so it sums to 1$/,
      );
      expect(() => readTargetFile(path, V)).toThrow(`targets file ${path}: `);
    }
  });

  it('NaN or -Infinity (as Python writes them) is refused saying why', () => {
    const path = join(dir, 'nan.json');
    writeFileSync(path, `{"targets": [[0.5, -Infinity, NaN]]}`);
    expect(() => readTargetFile(path, 3)).toThrow(
      /targets file .*nan\.json: not valid JSON \(.*\); NaN and Infinity are not JSON, nor probabilities/,
    );
  });
});

// Written by polars and pyarrow themselves (test/fixtures/targets/README.md says how).
describe('targets files as other Arrow writers leave them', () => {
  const fixture = (name: string) => join(import.meta.dirname, 'fixtures', 'targets', name);

  it("polars' own defaults (LargeList rows, Utf8View ids) read as written", () => {
    const { data, rows, ids } = readTargetFile(fixture('polars.arrow'), 4);
    expect(rows).toBe(2);
    expect(ids).toEqual(['first', 'second']);
    expect(Array.from(data)).toEqual([0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.25, 0.25].map(Math.fround));
  });

  it('a compressed file is refused saying so and how to write it uncompressed, here and as a results file', async () => {
    const path = fixture('zstd.arrow');
    expect(() => readTargetFile(path, 4)).toThrow(
      `targets file ${path}: cannot read it as Arrow (its record batches are compressed (LZ4 or ZSTD), which this Arrow reader cannot decode: write it uncompressed`,
    );
    await expect(readResults(path)).rejects.toThrow(
      `${path} is not a results file (its record batches are compressed (LZ4 or ZSTD)`,
    );
  });
});

describe('a targets file whose name says another format than its bytes', () => {
  it.each([
    ['JSON named .arrow', 'json.arrow', 'arrow', 'json', '.json'],
    ['Arrow named .json', 'arrow.json', 'json', 'arrow', '.arrow'],
    ['JSON named .safetensors', 'json.safetensors', 'safetensors', 'json', '.json'],
  ])('%s is refused saying what it holds and what to name it', (_what, name, says, holds, ext) => {
    const path = join(dir, name);
    if (holds === 'json') writeFileSync(path, JSON.stringify({ targets: [uniform()] }));
    else
      writeFileSync(
        path,
        tableToIPC(
          new Table({ target: vectorFromArray([uniform()], new List(new Field('item', new Float32(), true))) }),
          'file',
        ),
      );
    expect(() => readTargetFile(path, V)).toThrow(
      `targets file ${path}: its name says ${says}, but it holds ${holds}: name it ${ext}`,
    );
  });
});

describe('a sweep over a hostile targets file', () => {
  it('a record batch whose message says it is a schema exits 2 naming the file, where Arrow would read it forever', () => {
    const sub = mkdtempSync(join(dir, 'sweep-'));
    const good = arrowFile('to-damage.arrow', [uniform(), uniform()]);
    writeFileSync(join(sub, 't.arrow'), firstBatchSaysItIs(readFileSync(good), MESSAGE_HEADER.Schema));
    const cfg = writeMicroConfig(sub, 'spec.json', { targets: [{ kind: 'file', path: 't.arrow' }] });
    // In a child process with a time limit: unmended, the read never returns.
    const r = spawnSync(process.execPath, [cli, 'sweep', '-c', cfg, '-o', 'out.arrow', '--no-figures', '-q'], {
      cwd: sub,
      encoding: 'utf8',
      timeout: 120_000,
      killSignal: 'SIGKILL',
    });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('targets file t.arrow: cannot read it as Arrow');
    expect(readdirSync(sub).sort()).toEqual(['spec.json', 't.arrow']);
  });

  it('duplicate ids exit 2 naming the file and leave no results, journal or lock', () => {
    const sub = mkdtempSync(join(dir, 'sweep-'));
    writeFileSync(
      join(sub, 't.json'),
      JSON.stringify({ targets: [uniform(), uniform()], meta: [{ id: 'a' }, { id: 'a' }] }),
    );
    const cfg = writeMicroConfig(sub, 'spec.json', { targets: [{ kind: 'file', path: 't.json' }] });
    const r = spawnSync(process.execPath, [cli, 'sweep', '-c', cfg, '-o', 'out.arrow', '--no-figures', '-q'], {
      cwd: sub,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("targets file t.json: targets 0 and 1 both have the id 'a'");
    expect(existsSync(join(sub, 'out.arrow'))).toBe(false);
    expect(readdirSync(sub).sort()).toEqual(['spec.json', 't.json']);
  });
});
