// A resume decodes its journal (or the finished file it extends) a slice of rows per turn of the
// event loop, so that a Ctrl-C (and every other event) is answered while a long file is read back.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteBuffer } from 'flatbuffers';
import { expect, test, vi } from 'vitest';

import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import {
  journalPath,
  openForResume,
  ResultWriter,
  scanJournal,
  type ResultMetadata,
  type RunRecord,
} from '../lib/results/index.js';
import { scanJournalFile } from '../lib/results/journal.js';
import { readResults, readResultsHead } from '../lib/results/read.js';
import { keptRows } from '../lib/run/kept.js';
import { VERSION } from '../lib/version.js';
import { scratchDir } from './helpers/cli.js';
import { turnClock } from './helpers/turns.js';

const decodes = vi.hoisted(() => ({ whole: 0, sliced: 0, tables: 0 }));
// The real decoders, counted: which one a resume calls.
vi.mock('../lib/results/convert.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../lib/results/convert.js')>();
  return {
    ...real,
    tableToRecords: (...a: Parameters<typeof real.tableToRecords>) => {
      decodes.whole++;
      return real.tableToRecords(...a);
    },
    tableToRecordsYielding: (...a: Parameters<typeof real.tableToRecordsYielding>) => {
      decodes.sliced++;
      return real.tableToRecordsYielding(...a);
    },
  };
});
// The real reader of a file's bytes into a table, counted: whether a resume read a finished file whole.
vi.mock('../lib/io/arrow-table.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../lib/io/arrow-table.js')>();
  return {
    ...real,
    arrowTable: (...a: Parameters<typeof real.arrowTable>) => {
      decodes.tables++;
      return real.arrowTable(...a);
    },
  };
});

const spec = parseSpec({ targets: [{ kind: 'vanilla', entropyBits: '0:max:0.5' }], inits: 3 });
const plan = planSweep(spec, 16);
const meta: ResultMetadata = {
  spec,
  model: { name: 'random:tiny-gpt2', hash: 'ab12'.repeat(16) },
  vocabSize: 16,
  version: '0.1.0',
  build: { torch: '2.x', cuda: false },
};
const record = (row: (typeof plan.rows)[number]): RunRecord => ({
  rowId: row.rowId,
  targetId: row.targetId,
  targetKind: 'vanilla',
  initId: row.initId,
  method: row.method,
  pattern: row.pattern,
  candidates: row.candidates,
  prefixLength: 5,
  klNats: 0.5,
  bestEpoch: 3,
  epochs: 5,
  stopReason: 'patience',
  modelEntropyBits: 1,
  targetEntropyBits: 1,
  requestedEntropyBits: 1,
  promptIds: null,
  promptText: null,
  softPrompt: null,
  wallMs: 1,
  shardIndex: 0,
  outliers: null,
  outlierMass: null,
  m: null,
  targetParams: '{}',
});

test('a resume reads its journal back a slice of rows per turn, not in one stretch', async () => {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const writer = await ResultWriter.create(out, meta);
  await writer.append(plan.rows.slice(0, 6).map(record));
  await writer.close();
  decodes.whole = decodes.sliced = 0;
  const resumed = await openForResume(out, meta);
  expect(resumed.finished.size).toBe(6);
  expect(decodes).toMatchObject({ whole: 0, sliced: 1 });
  await resumed.writer.close();
});

test('a resume decodes its journal a record batch per turn: no stretch grows with the journal', async () => {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const writer = await ResultWriter.create(out, meta);
  // One record batch per append, as a sweep appends a chunk's rows: far fewer rows than a slice.
  const rows = plan.rows.slice(0, 24).map(record);
  for (const r of rows) await writer.append([r]);
  await writer.close();
  expect(scanJournal(readFileSync(journalPath(out))).batches).toBe(24);
  // The turns of the event loop (a callback that runs once in each) in which Arrow reads a
  // message's metadata (every batch it decodes does): the file's reads take turns of their own.
  const clock = turnClock();
  const decodeTurns = new Set<number>();
  const proto = ByteBuffer.prototype;
  const vectorLength = Object.getOwnPropertyDescriptor(proto, '__vector_len')!;
  proto.__vector_len = function (this: ByteBuffer, offset: number): number {
    decodeTurns.add(clock.turn);
    return (vectorLength.value as typeof proto.__vector_len).call(this, offset);
  };
  let resumed: Awaited<ReturnType<typeof openForResume>>;
  try {
    resumed = await openForResume(out, meta);
  } finally {
    clock.stop();
    Object.defineProperty(proto, '__vector_len', vectorLength);
  }
  expect(resumed.finished.size).toBe(24);
  // Read whole, all 24 batches were decoded in one turn (with the scan of the file's framing).
  expect(decodeTurns.size).toBeGreaterThanOrEqual(24);
  await resumed.writer.close();
});

test('a journal begun from a finished file holds its rows in batches of bounded size', async () => {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const writer = await ResultWriter.create(out, meta);
  const many = Array.from({ length: 9000 }, (_, i) => ({ ...record(plan.rows[0]), rowId: `r${i}` }));
  await writer.append(many);
  await writer.finish();
  const resumed = await openForResume(out, meta);
  expect(resumed.finished.size).toBe(9000);
  await resumed.writer.close();
  // 4,096 rows a batch at most: three, where one batch of all 9,000 was decoded in one stretch.
  expect(scanJournal(readFileSync(journalPath(out))).batches).toBe(3);
});

/**
 * Runs `work` and counts, for each turn of the event loop (a callback that runs once in each), the
 * ids starting with `prefix` that a Set or Map took in it (their constructors call add and set, as
 * the language says).
 */
async function idsPerTurn<T>(prefix: string, work: () => Promise<T>): Promise<{ result: T; perTurn: number[] }> {
  const clock = turnClock();
  const perTurn = new Map<number, number>();
  const count = (key: unknown) => {
    if (typeof key === 'string' && key.startsWith(prefix)) perTurn.set(clock.turn, (perTurn.get(clock.turn) ?? 0) + 1);
  };
  const add = Set.prototype.add;
  const set = Map.prototype.set;
  Set.prototype.add = function (this: Set<unknown>, v: unknown) {
    count(v);
    return add.call(this, v);
  };
  Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
    count(k);
    return set.call(this, k, v);
  };
  try {
    return { result: await work(), perTurn: [...perTurn.values()] };
  } finally {
    clock.stop();
    Set.prototype.add = add;
    Map.prototype.set = set;
  }
}

test("a resume gathers its rows' ids once, a slice per turn: the writer's set is the caller's", async () => {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const writer = await ResultWriter.create(out, meta);
  const many = Array.from({ length: 9000 }, (_, i) => ({ ...record(plan.rows[0]), rowId: `gathered-${i}` }));
  await writer.append(many);
  await writer.close();
  const { result: resumed, perTurn } = await idsPerTurn('gathered-', () => openForResume(out, meta));
  // 1,000 ids a turn, into one set: where the writer's and the caller's sets and a map of the
  // records by id took the same 9,000 ids three times over.
  expect(Math.max(...perTurn)).toBeLessThanOrEqual(1000);
  expect(perTurn.reduce((a, b) => a + b, 0)).toBe(9000);
  expect(resumed.finished).toBe(resumed.writer.finishedRowIds);
  expect(resumed.finished.size).toBe(9000);
  expect(resumed.records[8999].rowId).toBe('gathered-8999');
  await resumed.writer.close();
});

test("a plan of a resume gathers the journal's row ids a slice per turn", async () => {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const own = parseSpec({ ...spec, output: out });
  const writer = await ResultWriter.create(out, { ...meta, spec: own, version: VERSION });
  await writer.append(Array.from({ length: 9000 }, (_, i) => ({ ...record(plan.rows[0]), rowId: `kept-${i}` })));
  await writer.close();
  const { result: kept, perTurn } = await idsPerTurn('kept-', () => keptRows(own));
  expect(kept.rowIds.size).toBe(9000);
  // 1,000 a turn, where all 9,000 went in at once.
  expect(Math.max(...perTurn)).toBeLessThanOrEqual(1000);
});

/**
 * An unfinished results file of `rows` rows at a new scratch path, its journal ending in a torn
 * tail (which a resume that went on would cut off), and the journal's bytes.
 */
async function tornJournal(rows: number): Promise<{ out: string; before: Buffer }> {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const writer = await ResultWriter.create(out, meta);
  await writer.append(Array.from({ length: rows }, (_, i) => ({ ...record(plan.rows[0]), rowId: `r${i}` })));
  await writer.close();
  appendFileSync(journalPath(out), new Uint8Array([0xff, 0xff, 0xff, 0xff, 9, 9]));
  return { out, before: readFileSync(journalPath(out)) };
}

test('a resume stops when its signal aborts while it reads the rows back, and changes no file', async () => {
  const { out, before } = await tornJournal(9000);
  const stop = new AbortController();
  // A Ctrl-C a few turns into the read.
  let turns = 0;
  const spin = () => (++turns === 3 ? stop.abort() : setImmediate(spin));
  setImmediate(spin);
  // The rows it kept come with the stop, counted by the scan that found the torn tail: not read again.
  await expect(openForResume(out, meta, stop.signal)).rejects.toThrow(
    expect.objectContaining({ name: 'AbortError', file: journalPath(out), rows: 9000 }),
  );
  expect(readFileSync(journalPath(out)).equals(before)).toBe(true);
});

/** A finished results file of `rows` rows at a new scratch path, no journal beside it. */
async function finishedFile(rows: number): Promise<string> {
  const out = join(scratchDir('resume-turns'), 'r.arrow');
  const writer = await ResultWriter.create(out, meta);
  await writer.append(Array.from({ length: rows }, (_, i) => ({ ...record(plan.rows[0]), rowId: `r${i}` })));
  await writer.finish();
  return out;
}

test('a resume from a finished file decodes it a slice of rows per turn, not in one stretch', async () => {
  const out = await finishedFile(9000);
  decodes.whole = decodes.sliced = 0;
  const clock = turnClock();
  const resumed = await openForResume(out, meta);
  clock.stop();
  expect(resumed.finished.size).toBe(9000);
  expect(decodes).toMatchObject({ whole: 0, sliced: 1 });
  // 500 rows a turn: at least 18 turns for the decode alone.
  expect(clock.turn).toBeGreaterThanOrEqual(18);
  await resumed.writer.close();
});

test('a resume from a finished file stops when its signal aborts while it reads the rows back: the file stands, no journal', async () => {
  const out = await finishedFile(9000);
  const before = readFileSync(out);
  const stop = new AbortController();
  let turns = 0;
  const spin = () => (++turns === 3 ? stop.abort() : setImmediate(spin));
  setImmediate(spin);
  await expect(openForResume(out, meta, stop.signal)).rejects.toThrow(
    expect.objectContaining({ name: 'AbortError', file: out, rows: 9000 }),
  );
  expect(readFileSync(out).equals(before)).toBe(true);
  expect(existsSync(journalPath(out))).toBe(false);
});

test('a resume stopped before it has read its journal reads no more of it: no row is decoded, and the rows kept are told', async () => {
  const { out, before } = await tornJournal(9000);
  // Its framing alone, read from the file, says what reading it whole says, torn tail and all.
  expect(await scanJournalFile(journalPath(out))).toEqual(scanJournal(before));
  // A Ctrl-C that came while the journal's bytes were read.
  const stop = new AbortController();
  stop.abort();
  decodes.whole = decodes.sliced = 0;
  await expect(openForResume(out, meta, stop.signal)).rejects.toThrow(
    expect.objectContaining({ name: 'AbortError', file: journalPath(out), rows: 9000 }),
  );
  expect(decodes).toMatchObject({ whole: 0, sliced: 0 });
  expect(readFileSync(journalPath(out)).equals(before)).toBe(true);
});

test("a finished file's head (its metadata and row count) is read from its footer, not from the whole file", async () => {
  const out = await finishedFile(9000);
  decodes.tables = 0;
  const head = await readResultsHead(out);
  expect(decodes.tables).toBe(0);
  expect(head).toEqual({ metadata: (await readResults(out)).metadata, rows: 9000 });
  // What is not a finished file is read whole, and refused in the words of the whole read.
  const writer = await ResultWriter.create(join(scratchDir('resume-turns'), 'j.arrow'), meta);
  await writer.close();
  await expect(readResultsHead(journalPath(writer.out))).rejects.toThrow(/is a sweep's journal/);
});

test('a resume of a finished file of another sweep is refused from its footer: the file is not read whole', async () => {
  const out = await finishedFile(9000);
  const other = { ...meta, spec: parseSpec({ ...spec, inits: 4 }) };
  decodes.tables = decodes.whole = decodes.sliced = 0;
  await expect(openForResume(out, other)).rejects.toThrow(/cannot resume from \S*r\.arrow: the sweep spec differs/);
  expect(decodes).toEqual({ whole: 0, sliced: 0, tables: 0 });
  expect(existsSync(journalPath(out))).toBe(false);
});

test('a resume of a finished file stopped before it has read the file reads none of it, and tells its rows from the footer', async () => {
  const out = await finishedFile(9000);
  const stop = new AbortController();
  stop.abort();
  decodes.tables = decodes.whole = decodes.sliced = 0;
  await expect(openForResume(out, meta, stop.signal)).rejects.toThrow(
    expect.objectContaining({ name: 'AbortError', file: out, rows: 9000 }),
  );
  expect(decodes).toEqual({ whole: 0, sliced: 0, tables: 0 });
  expect(existsSync(journalPath(out))).toBe(false);
});
