// Results and targets files carry a digest of their data, checked on read: a byte of a value, a
// validity bitmap or an offset changed after the file was written is refused, naming the file and
// the column, by the library reader and by the command line (exit 2), where it used to read as
// another number. A file written before files carried one still reads; a file's digest matches on
// read for every shape the writer writes (no rows, nulls, long prompt lists, more rows than one
// record batch holds) and for the same data laid out in other batches.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { RecordBatchReader, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';

import { DATA_DIGEST_KEY } from '../lib/io/arrow-digest.js';
import { readResults, ResultsError, ResultWriter, type RunRecord } from '../lib/results/index.js';
import { readTargetFile } from '../lib/targets/file.js';
import { synthesizeTargets, TargetError } from '../lib/targets/index.js';
import { targetFileBytes } from '../lib/targets/write.js';
import { SAMPLE_META, sampleRecord } from '../bench/results-rows.js';
import { runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('file-digest');

const meta = SAMPLE_META;

/** Values no other byte of the file holds, to find where the writer put them. */
const KL = 0.7316294562918374;
const TOKEN = 0x3a5c7e91;

/** Row `i`: hard (prompt ids and text) where `i` is even, else soft (a soft prompt); nulls in each. */
const record = (i: number, over: Partial<RunRecord> = {}): RunRecord =>
  sampleRecord(i, new Float32Array([0.5, -1.25, 2]), over);

async function writeResults(name: string, records: readonly RunRecord[]): Promise<string> {
  const out = join(dir, name);
  const writer = await ResultWriter.create(out, meta);
  if (records.length > 0) await writer.append(records);
  await writer.finish();
  return out;
}

/** Where `value`'s bytes are in `bytes`, checked to be the only place. */
function only(bytes: Uint8Array, value: Buffer): number {
  const at = Buffer.from(bytes).indexOf(value);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(Buffer.from(bytes).indexOf(value, at + 1)).toBe(-1);
  return at;
}

/** The [start, end) of each record batch's body (its buffers, after its metadata) in an Arrow file. */
function bodies(bytes: Uint8Array): Array<[number, number]> {
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  if (!reader.isFile()) throw new Error('not an Arrow file');
  return Array.from({ length: reader.numRecordBatches }, (_, i) => {
    const block = reader.footer!.getRecordBatch(i)!;
    const start = Number(block.offset) + block.metaDataLength;
    return [start, start + Number(block.bodyLength)];
  });
}

/** A copy of the file at `path` with the byte at `at` flipped, written beside it as `name`. */
function flipped(path: string, at: number, name: string): string {
  const bytes = readFileSync(path);
  const inBody = bodies(bytes).some(([start, end]) => at >= start && at < end);
  expect(inBody, 'the flipped byte is in a record batch body, not in metadata').toBe(true);
  bytes[at] ^= 0xff;
  const out = join(dir, name);
  writeFileSync(out, bytes);
  return out;
}

const changed = (path: string, column: string, remedy: string) =>
  `${path}: its data do not match the digest written with it (column '${column}'): it was damaged or edited after it was written; ${remedy}`;
/** What the library's message says to do; the command line names the flag (--overwrite). */
const RESULTS_REMEDY = 'restore it from a copy, or run the sweep or merge that wrote it again with { overwrite: true }';

/** The same file written again by apache-arrow, with its schema metadata as `edit` leaves it. */
function rewritten(path: string, name: string, edit: (m: Map<string, string>) => void, batchRows?: number): string {
  const table = tableFromIPC(readFileSync(path));
  const metadata = new Map(table.schema.metadata);
  edit(metadata);
  const schema = new Schema(table.schema.fields, metadata);
  const batches = batchRows
    ? Array.from({ length: Math.ceil(table.numRows / batchRows) }, (_, i) =>
        table.slice(i * batchRows, (i + 1) * batchRows),
      ).flatMap((t) => t.batches)
    : table.batches;
  const out = join(dir, name);
  writeFileSync(out, tableToIPC(new Table(schema, batches), 'file'));
  return out;
}

describe('a results file', () => {
  let path: string;
  beforeAll(async () => {
    path = await writeResults('r.arrow', [
      record(0, { promptIds: [11, TOKEN, 13] }),
      record(1, { klNats: KL }),
      record(2),
      record(3),
    ]);
  });

  it('with a klNats value or a prompt token changed in its data is refused, naming the file and the column', async () => {
    const kl = Buffer.alloc(8);
    kl.writeDoubleLE(KL);
    const token = Buffer.alloc(4);
    token.writeInt32LE(TOKEN);
    for (const [column, at] of [
      ['klNats', only(readFileSync(path), kl) + 3],
      ['promptIds', only(readFileSync(path), token) + 1],
    ] as const) {
      const damaged = flipped(path, at, `r-${column}.arrow`);
      const e = await readResults(damaged).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ResultsError);
      expect((e as Error).message).toBe(changed(damaged, column, RESULTS_REMEDY));
    }
  });

  it('with any byte of its data changed is refused, or reads as written where no reader reads that byte (padding)', async () => {
    const bytes = readFileSync(path);
    const { records } = await readResults(path);
    const damaged = join(dir, 'r-any.arrow');
    let refused = 0;
    for (const [start, end] of bodies(bytes)) {
      for (let at = start; at < end; at++) {
        bytes[at] ^= 0xff;
        writeFileSync(damaged, bytes);
        bytes[at] ^= 0xff;
        const read = await readResults(damaged).catch((e: unknown) => e as Error);
        if (read instanceof Error) {
          expect(read.message, `byte ${at}`).toMatch(
            /: its data do not match the digest written with it \(columns? '.+\): it was damaged or edited after it was written; /,
          );
          refused++;
        } else expect(read.records, `byte ${at}`).toEqual(records);
      }
    }
    // Each column's values, and the offsets and bitmaps, lie among these bytes.
    expect(refused).toBeGreaterThan(200);
  });

  it('so damaged is refused by the command line with exit code 2', () => {
    const kl = Buffer.alloc(8);
    kl.writeDoubleLE(KL);
    const damaged = flipped(path, only(readFileSync(path), kl), 'r-cli.arrow');
    const r = runCli(['report', damaged, '-o', join(dir, 'report.html')], dir);
    expect(r.stderr).toContain(
      changed(damaged, 'klNats', RESULTS_REMEDY.replace('{ overwrite: true }', '--overwrite')),
    );
    expect(r.status).toBe(2);
  });

  it('written before files carried a digest (no key) still reads', async () => {
    const old = rewritten(path, 'r-old.arrow', (m) => m.delete(DATA_DIGEST_KEY));
    expect(tableFromIPC(readFileSync(old)).schema.metadata.has(DATA_DIGEST_KEY)).toBe(false);
    expect((await readResults(old)).records).toEqual((await readResults(path)).records);
  });

  it('whose digest is itself damaged is refused', async () => {
    const bad = rewritten(path, 'r-bad-digest.arrow', (m) => m.set(DATA_DIGEST_KEY, '{"klNats": 1'));
    await expect(readResults(bad)).rejects.toThrow(
      `${bad}: its data do not match the digest written with it (the digest, schema metadata '${DATA_DIGEST_KEY}', is not a JSON object)`,
    );
  });

  it('reads with its digest matched for the same data in other record batches', async () => {
    const rebatched = rewritten(path, 'r-rebatched.arrow', () => undefined, 1);
    expect(bodies(readFileSync(rebatched))).toHaveLength(4);
    expect((await readResults(rebatched)).records).toEqual((await readResults(path)).records);
  });

  it('of odd shapes (no rows, every nullable column null, long prompt lists, past one record batch) reads with its digest matched', async () => {
    const long = Array.from({ length: 100_000 }, (_, i) => i % 1000);
    const shapes: Record<string, RunRecord[]> = {
      empty: [],
      nulls: [record(1, { softPrompt: null })],
      long: [record(0, { promptIds: long, lmPromptIds: long }), record(1, { softPrompt: new Float32Array(200_000) })],
      batches: Array.from({ length: 65_537 }, (_, i) => record(i)),
    };
    for (const [name, records] of Object.entries(shapes)) {
      const file = await writeResults(`shape-${name}.arrow`, records);
      const table = tableFromIPC(readFileSync(file));
      expect(Object.keys(JSON.parse(table.schema.metadata.get(DATA_DIGEST_KEY)!) as object), name).toEqual(
        table.schema.fields.map((f) => f.name),
      );
      expect((await readResults(file)).records, name).toHaveLength(records.length);
    }
  }, 120_000);
});

describe('a targets file', () => {
  const V = 1000;
  let path: string;
  let value: Buffer;
  beforeAll(async () => {
    const set = await synthesizeTargets(
      { vocabSize: V },
      { kind: 'outlier', entropyBits: [1, 5], outliers: 2, seed: 3 },
    );
    try {
      path = join(dir, 't.arrow');
      writeFileSync(path, targetFileBytes(path, set.toArray(), set.meta, V));
      // A probability of the second row found once in the file: the one to damage.
      const bytes = readFileSync(path);
      const row = set.toArray().subarray(V);
      const token = row.findIndex((p) => {
        const b = Buffer.from(Float32Array.of(p).buffer);
        const at = bytes.indexOf(b);
        return at >= 0 && bytes.indexOf(b, at + 1) < 0;
      });
      value = Buffer.from(Float32Array.of(row[token]).buffer);
    } finally {
      set.dispose();
    }
  });

  it('with a probability changed in its data is refused, naming the file', () => {
    const damaged = flipped(path, only(readFileSync(path), value) + 2, 't-damaged.arrow');
    const e = (() => {
      try {
        readTargetFile(damaged, V);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(TargetError);
    expect((e as Error).message).toBe(
      `targets file ${changed(damaged, 'target', "restore it from a copy, or make it again with 'distprompt targets'")}`,
    );
  });

  it('so damaged is refused by the command line with exit code 2', () => {
    const damaged = flipped(path, only(readFileSync(path), value) + 2, 't-cli.arrow');
    const r = runCli(['tune', '-m', 'random:micro', '--targets', damaged, '--max-epochs', '1'], dir);
    expect(r.stderr).toContain(`targets file ${damaged}: its data do not match the digest written with it`);
    expect(r.status).toBe(2);
  });

  it('written before files carried a digest (no key) still reads', () => {
    const old = rewritten(path, 't-old.arrow', (m) => m.delete(DATA_DIGEST_KEY));
    expect(tableFromIPC(readFileSync(old)).schema.metadata.has(DATA_DIGEST_KEY)).toBe(false);
    expect(readTargetFile(old, V).data).toEqual(readTargetFile(path, V).data);
  });
});
