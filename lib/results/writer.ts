// Incremental, crash-safe results. Rows go to the journal `<out>.partial` as they finish; only
// `finish()` produces `<out>`, atomically, as an Arrow IPC file. So a file named `<out>` is
// always complete, and after kill -9 the journal holds every row that was acknowledged.

import { option, said } from '../io/said.js';
import { existsSync } from 'node:fs';
import { open, readFile, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Table, type Schema } from 'apache-arrow';
import { arrowFileWithDigest } from '../io/arrow-digest.js';
import { specHash, type Shard } from '../spec/index.js';
import { checkRecord, recordsToBatch, tableToRecordsYielding } from './convert.js';
import { batchMessage, journalBatches, scanJournal, scanJournalFile, schemaMessage } from './journal.js';
import {
  decodeMetadata,
  OutputTakenError,
  ResultsError,
  ResumeMismatchError,
  resultSchema,
  SCHEMA_VERSION,
  type ResultMetadata,
  type StoredMetadata,
} from './schema.js';
import { removeStaleTemporaries, syncDir, writeAtomic } from './files.js';
import { eachYielding } from '../io/each-yielding.js';
import { FileError, fileError } from '../io/fs-error.js';
import { checkOutputPath } from '../io/output-path.js';
import { outputHolds } from '../io/output-holds.js';
import type { RunRecord, StoredRunRecord } from './record.js';
import { readResults, readResultsHead } from './read.js';
import { sweepDifferences } from './same-sweep.js';

const JOURNAL_SUFFIX = '.partial';
export const journalPath = (out: string): string => `${out}${JOURNAL_SUFFIX}`;
/** Whether `path` is a journal (a run's unfinished rows), not a finished results file. */
export const isJournal = (path: string): boolean => path.endsWith(JOURNAL_SUFFIX);

/** Rows per record batch in final files: big enough for fast scans, small enough to stream. */
export const FINAL_BATCH_ROWS = 65_536;

/** Rows per record batch at most where a journal starts with a finished file's rows. */
const JOURNAL_BATCH_ROWS = 4096;

export interface JournalContents {
  metadata: StoredMetadata;
  records: StoredRunRecord[];
  /** Bytes of a torn last message that were ignored. */
  tornBytes: number;
}

/** Reads what a journal holds; null when it has no complete schema yet (nothing was written). */
export async function readJournal(path: string): Promise<JournalContents | null> {
  // The Buffer itself (a Uint8Array): new Uint8Array(buffer) copies byte by byte, which held the
  // event loop 0.7 s for a journal of 170,000 rows.
  const bytes: Uint8Array = await readFile(path);
  const scan = scanJournal(bytes);
  const journal = journalBatches(bytes, scan);
  if (!journal) return null;
  return {
    metadata: decodeMetadata(journal.schema.metadata, path),
    records: await tableToRecordsYielding(journal, undefined, path),
    tornBytes: scan.tornBytes,
  };
}

export interface FinishOptions {
  /** Row ids in plan order: the final file follows it. Default: sorted by rowId. */
  order?: readonly string[];
  /** Every row the run must hold; finish refuses (and keeps the journal) when any is missing. */
  expectedRowIds?: Iterable<string>;
}

export class ResultWriter {
  readonly out: string;
  private readonly schema: Schema;
  private readonly meta: ResultMetadata;
  private fh: FileHandle | null;
  private readonly finished: Set<string>;
  /** Rows on disk (fsync'ed) in the journal: what a failure keeps. */
  private synced: number;
  /** Appends in call order; never rejects: a failed write is kept in `failure` instead. */
  private queue: Promise<void> = Promise.resolve();
  /** The write that failed and poisoned the writer: later appends would leave a gap in the journal. */
  private failure: Error | null = null;
  /**
   * Whether `<out>` was there when this run began (a resumed run's own file): finish replaces only
   * that one, never a file that appeared while the run went on.
   */
  private ownsOut = false;

  private constructor(out: string, schema: Schema, meta: ResultMetadata, fh: FileHandle, finished: Set<string>) {
    this.out = out;
    this.schema = schema;
    this.meta = meta;
    this.fh = fh;
    this.finished = finished;
    this.synced = finished.size;
  }

  /**
   * Starts a new run. Refuses when a journal exists (resume it or delete it) or when `<out>`
   * exists, unless `overwrite`: then the old `<out>` stays until this run's file replaces it, so a
   * run that fails or is stopped loses nothing (its journal beside it says a run is under way).
   */
  static async create(out: string, meta: ResultMetadata, options: { overwrite?: boolean } = {}): Promise<ResultWriter> {
    await ResultWriter.check(out, options);
    // Read before the journal starts: a file that appears at `out` after that is not this run's to replace.
    const replaces = options.overwrite === true && existsSync(out);
    const writer = await ResultWriter.startJournal(out, meta, [], new Set());
    writer.ownsOut = replaces;
    return writer;
  }

  /**
   * What `create` (or, with `resume`, `resume`) would refuse about `out`, checked before a run
   * loads its model: a directory, a missing folder, an unfinished journal, a finished file.
   * Also removes temporaries a killed writer of `out` left, unless `readOnly` (a plan's look).
   */
  static async check(
    out: string,
    options: { overwrite?: boolean; resume?: boolean; readOnly?: boolean } = {},
  ): Promise<void> {
    await checkOutput(out, options.readOnly);
    await refuseOtherFile(out);
    if (options.resume) return;
    const journal = journalPath(out);
    if (existsSync(journal)) {
      throw new OutputTakenError(
        said`${journal} holds an unfinished run: continue it with ${option('resume', true)}, or delete the file to start over`,
        false,
        journal,
      );
    }
    if (existsSync(out) && !options.overwrite) {
      throw new OutputTakenError(
        said`${out} already exists: choose another output, pass ${option('overwrite', true)}, or ${option('resume', true)} to extend it`,
        true,
        out,
      );
    }
  }

  /** A new journal holding `records`, whose row ids `finished` holds (the caller builds it a slice per turn). */
  private static async startJournal(
    out: string,
    meta: ResultMetadata,
    records: readonly RunRecord[],
    finished: Set<string>,
  ): Promise<ResultWriter> {
    const schema = resultSchema(meta);
    const journal = journalPath(out);
    let fh: FileHandle;
    try {
      fh = await open(journal, 'w');
    } catch (e) {
      throw fileError(e, journal);
    }
    try {
      await writeAll(fh, schemaMessage(schema));
      // Batches of a bounded size, as a sweep appends them: a resume decodes one batch per turn of its loop.
      for (let i = 0; i < records.length; i += JOURNAL_BATCH_ROWS)
        await writeAll(fh, batchMessage(schema, recordsToBatch(schema, records.slice(i, i + JOURNAL_BATCH_ROWS))));
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      // Resumed rows still sit in the finished <out> they came from; a new journal holds nothing yet.
      await unlink(journal).catch(() => undefined);
      const kept = records.length > 0 ? `the ${records.length} rows resumed are still in ${out}` : undefined;
      throw fileError(e, journal, kept);
    }
    await syncDir(out);
    return new ResultWriter(out, schema, meta, fh, finished);
  }

  /** See `openForResume`. */
  static async resume(out: string, meta: ResultMetadata, signal?: AbortSignal): Promise<Resumed> {
    const journal = journalPath(out);
    await checkOutput(out);
    if (existsSync(journal)) {
      // Its framing first (a few reads): what it holds is known when a Ctrl-C stops the read of the
      // rest, which for a journal of 500,000 rows (218 MB) went on for a second or more.
      const scan = await scanJournalFile(journal);
      const bytes: Uint8Array = await readFile(journal, { signal }).catch((e: unknown) => {
        throw signal?.aborted ? new ResumeStopped(journal, scan.rows) : e;
      }); // not copied: see readJournal
      const read = journalBatches(bytes, scan);
      if (read) {
        checkSameSweep(decodeMetadata(read.schema.metadata, journal), meta, journal);
        // A record batch, and a slice of its rows, per turn of the event loop: a journal of 170,000
        // rows took 8 s to decode, during which a Ctrl-C went unanswered.
        const { records, finished } = await readBack(
          () => tableToRecordsYielding(read, undefined, journal, signal),
          { file: journal, rows: scan.rows },
          signal,
        );
        // Cut the torn tail, then append after the last whole message.
        let fh: FileHandle;
        try {
          await truncate(journal, scan.goodEnd);
          fh = await open(journal, 'a');
          await fh.sync();
        } catch (e) {
          throw fileError(e, journal, `its ${records.length} rows are unchanged`);
        }
        const writer = new ResultWriter(out, resultSchema(meta), meta, fh, finished);
        writer.ownsOut = existsSync(out);
        return { writer, finished, records, tornBytes: scan.tornBytes, fresh: false };
      }
      refuseDamagedJournal(journal, bytes, meta);
    } else if (existsSync(out)) {
      // Checked from its footer before the rows are read (seconds for a large file): a file of
      // another sweep is refused at once.
      const head = await readResultsHead(out);
      checkSameSweep(head.metadata, meta, out);
      const { records, finished } = await readBack(
        async () => (await readResults(out, signal)).records,
        { file: out, rows: head.rows },
        signal,
      );
      const writer = await ResultWriter.startJournal(out, meta, records, finished);
      writer.ownsOut = true;
      return { writer, finished, records, tornBytes: 0, fresh: false };
    }
    // Nothing (or not even a whole schema) was written: nothing to lose by starting over.
    const writer = await ResultWriter.startJournal(out, meta, [], new Set());
    return { writer, finished: writer.finished, records: [], tornBytes: 0, fresh: true };
  }

  /** Ids of rows already written (resumed or appended). */
  get finishedRowIds(): ReadonlySet<string> {
    return this.finished;
  }

  /** Appends finished rows; resolves once they are on disk. Calls are written in call order. */
  append(records: readonly RunRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.fh) return Promise.reject(new ResultsError(`results writer for ${this.out} is closed`));
    for (const r of records) checkRecord(r);
    const seen = new Set<string>();
    for (const r of records) {
      if (this.finished.has(r.rowId) || seen.has(r.rowId)) {
        return Promise.reject(
          new ResultsError(`row '${r.rowId}' is already written to ${journalPath(this.out)}; a row is written once`),
        );
      }
      seen.add(r.rowId);
    }
    for (const id of seen) this.finished.add(id);
    if (records.length === 0) return this.queue;
    const bytes = batchMessage(this.schema, recordsToBatch(this.schema, records));
    const fh = this.fh;
    const journal = journalPath(this.out);
    const next = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      try {
        await writeAll(fh, bytes);
        await fh.sync();
      } catch (e) {
        // A torn batch at the end is cut off by --resume; the rows before it are on disk.
        const kept =
          this.synced > 0
            ? `the ${this.synced} row(s) finished before it are kept in ${journal}`
            : 'no row was finished before it';
        this.failure = fileError(e, journal, said`${kept}: rerun with ${option('resume', true)}`);
        throw this.failure;
      }
      // Deleted under the run (the file, or its folder removed or moved), the journal would take
      // every later row with it unseen until the end: stop at the first batch after.
      if ((await fh.stat()).nlink === 0) {
        this.failure = journalGone(journal, this.out);
        throw this.failure;
      }
      this.synced += records.length;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Rows fsync'ed to the journal so far (resumed ones included). */
  get rowsOnDisk(): number {
    return this.synced;
  }

  /** Closes the journal without finishing (an interrupted run); --resume continues it. */
  async close(): Promise<void> {
    await this.queue;
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }

  /**
   * Closes after a failed run. A journal that holds no row is removed: it records nothing and
   * would only block the corrected rerun. One with rows is kept for --resume.
   */
  async abandon(): Promise<void> {
    await this.close();
    if (this.synced === 0) await unlink(journalPath(this.out)).catch(() => undefined);
  }

  /**
   * Writes `<out>` as an Arrow IPC file (temporary name, fsync, rename) and removes the journal.
   * Returns the rows written.
   */
  async finish(options: FinishOptions = {}): Promise<StoredRunRecord[]> {
    return (await finishJournal(this.out, await this.closeForFinish(), options)).records;
  }

  /**
   * Closes the journal for `finishJournal` (which may run on another thread) and says what it
   * needs: the metadata, and whether `<out>` may be replaced (only a file this run began with).
   */
  async closeForFinish(): Promise<{ meta: ResultMetadata; replace: boolean }> {
    await this.close();
    if (this.failure) throw this.failure;
    return { meta: this.meta, replace: this.ownsOut };
  }
}

/**
 * A closed journal of `out` → `out` as an Arrow IPC file, then the journal removed: refuses (and
 * keeps the journal) when planned rows are missing or a file it may not replace is at `out`.
 * Returns the rows and the file's bytes.
 */
export async function finishJournal(
  out: string,
  how: { meta: ResultMetadata; replace: boolean },
  options: FinishOptions = {},
): Promise<{ records: StoredRunRecord[]; bytes: Uint8Array }> {
  const journal = await readJournal(journalPath(out)).catch((e: unknown) => {
    throw (e as NodeJS.ErrnoException).code === 'ENOENT' ? journalGone(journalPath(out), out) : e;
  });
  const records = journal?.records ?? [];
  if (options.expectedRowIds) {
    const have = new Set(records.map((r) => r.rowId));
    const missing = [...options.expectedRowIds].filter((id) => !have.has(id));
    if (missing.length > 0) {
      throw new ResultsError(
        said`${out} not written: ${missing.length} planned row(s) have no result (e.g. ${missing.slice(0, 3).join(', ')}); the journal ${journalPath(out)} is kept for ${option('resume', true)}`,
      );
    }
  }
  const ordered = orderRecords(records, options.order);
  const bytes = resultFileBytes(how.meta, ordered);
  try {
    await writeAtomic(out, bytes, { replace: how.replace });
  } catch (e) {
    const kept = said`all ${records.length} rows are kept in ${journalPath(out)}: rerun with ${option('resume', true)}`;
    throw fileError(e, out, kept);
  }
  await unlink(journalPath(out));
  await syncDir(out);
  return { records: ordered, bytes };
}

/** The journal was deleted while a run wrote it: its rows are gone with it. */
const journalGone = (journal: string, out: string) =>
  new FileError(
    'ENOENT',
    journal,
    `${journal} was deleted while this run wrote it (the file, or its folder ${dirname(journal)} removed or moved): the rows it held are lost, and the run stopped rather than compute rows it cannot keep; rerun to ${out} in a folder that stays`,
  );

/** FileHandle.write may write less than asked (a nearly full disk) without an error: loop until done. */
async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
    if (bytesWritten === 0) throw Object.assign(new Error('EIO: a write made no progress'), { code: 'EIO' });
    off += bytesWritten;
  }
}

export function orderRecords<T extends { rowId: string }>(records: readonly T[], order?: readonly string[]): T[] {
  if (!order) return [...records].sort((a, b) => (a.rowId < b.rowId ? -1 : a.rowId > b.rowId ? 1 : 0));
  const rank = new Map(order.map((id, i) => [id, i]));
  // Rows outside the given order (should not happen) go last, by id, rather than vanish.
  const key = (r: T) => rank.get(r.rowId) ?? Number.MAX_SAFE_INTEGER;
  return [...records].sort((a, b) => key(a) - key(b) || (a.rowId < b.rowId ? -1 : a.rowId > b.rowId ? 1 : 0));
}

/** A complete Arrow IPC file holding the records, in batches of FINAL_BATCH_ROWS, with its data's digest. */
export function resultFileBytes(meta: ResultMetadata, records: readonly RunRecord[]): Uint8Array {
  const schema = resultSchema(meta);
  const batches = [];
  for (let i = 0; i < records.length || i === 0; i += FINAL_BATCH_ROWS) {
    batches.push(recordsToBatch(schema, records.slice(i, i + FINAL_BATCH_ROWS)));
  }
  return arrowFileWithDigest(new Table(schema, batches));
}

export interface Resumed {
  writer: ResultWriter;
  /**
   * Ids of the rows already done (skip them): the writer's own set, so it grows with the rows the
   * writer appends after.
   */
  finished: ReadonlySet<string>;
  /** The rows already done, as they were read. */
  records: StoredRunRecord[];
  /** Bytes of a torn last journal message that were dropped. */
  tornBytes: number;
  /** true when there was nothing to resume (no journal or finished file): a new journal was started */
  fresh: boolean;
}

/**
 * Continues a run after an interruption: reads the journal (or a finished `<out>`), checks that it
 * belongs to the same sweep (spec hash, model hash, shard), drops a torn tail and reopens it for
 * appending. With neither file present it starts a fresh run, so `--resume` is always safe.
 * `signal` stops it while it reads the rows back (rejecting with a ResumeStopped), before it
 * changes any file: a Ctrl-C waited 10-17 s for a journal of 167,680 rows to be read whole.
 */
export function openForResume(out: string, meta: ResultMetadata, signal?: AbortSignal): Promise<Resumed> {
  return ResultWriter.resume(out, meta, signal);
}

/**
 * A resume stopped by its signal while it read the rows back, before it changed any file: `rows`
 * stand in `file` (the journal, or the finished file it was to extend) as they were. Named as the
 * signal's abort is, so a caller that waits for an AbortError takes it as one.
 */
export class ResumeStopped extends Error {
  override name = 'AbortError';

  constructor(
    readonly file: string,
    readonly rows: number,
  ) {
    super(`stopped while reading back ${file}; its ${rows} row(s) are unchanged`);
  }
}

/**
 * The rows `decode` reads back, and their ids in the set the writer goes on with, gathered a
 * slice per turn (built whole, for 168,000 rows on a loaded machine, such a set held the event
 * loop 0.45 s). Stopped by `signal`, it throws a ResumeStopped that says what `kept` holds.
 */
async function readBack(
  decode: () => Promise<StoredRunRecord[]>,
  kept: { file: string; rows: number },
  signal: AbortSignal | undefined,
): Promise<{ records: StoredRunRecord[]; finished: Set<string> }> {
  try {
    const records = await decode();
    const finished = new Set<string>();
    await eachYielding(records, (r) => finished.add(r.rowId), signal);
    return { records, finished };
  } catch (e) {
    if (signal?.aborted) throw new ResumeStopped(kept.file, kept.rows);
    throw e;
  }
}

/**
 * Says plainly what is wrong with an output path before anything is written: a directory, or a
 * folder that does not exist. Also removes temporaries a killed finish() left beside it.
 */
async function checkOutput(out: string, readOnly = false): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (info?.isDirectory()) {
    throw new ResultsError(
      `output ${out} is a directory: give a results file name, e.g. ${join(out, 'results.arrow')}`,
    );
  }
  checkOutputPath(out);
  if (!readOnly) await removeStaleTemporaries(out);
}

/**
 * Refuses an output that holds something other than results: a spec, a targets file, a page.
 * Offered --overwrite (or --resume) for it, `sweep -c s.json -o s.json --overwrite` replaced the
 * spec with results. A journal and an Arrow file that is not a targets file are left to the
 * reader's checks, and an empty file holds nothing to lose.
 */
async function refuseOtherFile(out: string): Promise<void> {
  const holds = await outputHolds(out);
  const what =
    holds === 'targets'
      ? "a targets file (as 'distprompt targets' writes)"
      : holds === 'other'
        ? "not a results file (it does not open as an Arrow file does: a spec, a targets file or another program's file)"
        : undefined;
  if (what)
    throw new OutputTakenError(
      `${out} exists and is ${what}, which would be lost: choose another output, or move the file away`,
      false,
      out,
    );
}

/**
 * That a file holds another shard than the run continuing it, as a phrase; empty when the same.
 * No shard is said as what it is, the whole sweep: 'shard none' read as a shard of that name.
 */
export function shardDifference(stored?: Shard, run?: Shard): string[] {
  const shard = (s?: Shard) => (s ? `shard ${s.index}/${s.count}` : 'the whole sweep (no shard)');
  return shard(stored) === shard(run) ? [] : [`it holds ${shard(stored)}, this run is ${shard(run)}`];
}

/**
 * Refuses to continue `where` (a journal or results file) in a run whose metadata is `meta`: other
 * results schema, spec, model, targets files or shard, and a journal another version of distprompt
 * wrote (its rows and this run's would be computed by different code, in one file that names one
 * version). A plan of a resume checks the same.
 */
export function checkSameSweep(stored: StoredMetadata, meta: ResultMetadata, where: string): void {
  const problems: string[] = [];
  if (stored.schemaVersion !== SCHEMA_VERSION) {
    problems.push(
      `it was written with results schema ${stored.schemaVersion}, this distprompt writes ${SCHEMA_VERSION}`,
    );
  }
  if (isJournal(where) && stored.version !== meta.version)
    problems.push(
      `it was written by distprompt ${stored.version}, this is ${meta.version}, and one file's rows come from one version: ` +
        `finish it with distprompt ${stored.version}, or delete it to start the sweep over`,
    );
  problems.push(...sweepDifferences({ metadata: stored, name: where }, { metadata: meta, name: 'this run' }));
  problems.push(...shardDifference(stored.shard, meta.shard));
  if (problems.length > 0) {
    throw new ResumeMismatchError(
      `cannot resume from ${where}: ${problems.join('; ')}`,
      stored.specHash !== specHash(meta.spec),
    );
  }
}

/**
 * A journal without a readable schema (`bytes`, at `journal`) that a resume of a run whose metadata
 * is `meta` may start over: a run killed while it wrote its schema leaves a prefix of the schema
 * this run writes, nothing to lose. Anything else (a damaged head, another file) may hold rows
 * after it that no one can read once it is replaced, and is refused.
 */
export function refuseDamagedJournal(journal: string, bytes: Uint8Array, meta: ResultMetadata): void {
  if (isPrefixOf(bytes, schemaMessage(resultSchema(meta)))) return;
  throw new ResultsError(
    `cannot resume from ${journal}: its ${bytes.length} bytes do not begin with a results journal's schema ` +
      '(damaged, or another file), so no row in it can be read; move it away to keep it, or delete it to start ' +
      'the sweep over without it',
  );
}

/** Whether `bytes` are the first bytes of `whole` (all of it, or none). */
function isPrefixOf(bytes: Uint8Array, whole: Uint8Array): boolean {
  return bytes.length <= whole.length && bytes.every((b, i) => b === whole[i]);
}
