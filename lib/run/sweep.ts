// runSweep(spec): the whole job — load the model, plan rows, synthesise the targets the rows
// need, tune them method by method with continuous batching, and stream every finished row into
// the results journal; finish with the Arrow file and the figures. An abort (Ctrl-C) keeps every
// finished row in the journal for --resume. How it starts (read a finished file, merge shard
// files, resume, or start fresh) is sweepStart's decision, taken under the output's lock
// (lib/run/lock.ts), which the run holds to its end; `devices` runs one worker per device.
import { EventEmitter } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { dirname, join } from 'node:path';

import { loadModel } from '../model/load.js';
import type { Model } from '../model/model.js';
import { native } from '../native/index.js';
import { plotAll, type WrittenFigure } from '../plot/plot-all.js';
import {
  openForResume,
  readResults,
  ResultWriter,
  ResumeStopped,
  type RunRecord,
  type StoredRunRecord,
} from '../results/index.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import { parseSpec, specHash, type Shard, type SweepSpec, type SweepSpecInput } from '../spec/index.js';
import { planSweepYielding, rowsByMethodYielding, rowsToRunYielding } from '../sweep/index.js';
import { methodOptions } from './method-options.js';
import { tokensNotBanned, type TuneProgress, type TuneRecord } from '../tune/index.js';
import { tuneEachRow, type TuneRow } from '../tune/run.js';
import type { SweepProgress } from './sweep-progress.js';
import { targetFileCount } from '../targets/file.js';
import { synthesizePlans, TargetStore, type TargetRowMeta } from '../targets/index.js';
import { storedCount } from '../targets/store.js';
import { checkSourceModels } from '../targets/source-model.js';
import { rowModel, sharedRows, shareRows } from './shared-rows.js';
import { belowBoundMessage, boundColumns, sweepBounds, targetsToMake, type BoundColumns } from './bound-columns.js';
import { sweepOnDevices } from './devices.js';
import { LOCK_RENEW_MS, lockOutput } from './lock.js';
import { eachYielding, filterYielding } from '../io/each-yielding.js';
import {
  checkBoolean,
  checkFigures,
  checkGivenModel,
  checkModelOption,
  checkSignal,
  checkTargetStore,
  specObject,
} from './run-options.js';
import { checkOutputFolder } from '../io/folder.js';
import { mergeSweepShards } from './merge.js';
import { checkSweepFits } from './fit.js';
import { rowsToFit } from './sizes.js';
import { sweepStart, type SweepStart } from './start.js';
import { endSweep } from './sweep-end.js';
import { sweepMetadata } from './metadata.js';
import { deviceCount, removeMergedShards, removeShards } from './shards.js';
import { keptWithoutRunAgain, SWEEP_WORDS, type ShardWords } from './shards-told.js';
import { checkReuse, reuseResults, whyNoneTaken, type ReuseOffer } from './reuse.js';
import { counted } from '../io/counted.js';
import { ArgumentError } from '../io/argument-error.js';

export interface SweepOptions {
  resume?: boolean | undefined;
  /** overwrite an existing finished output instead of refusing */
  overwrite?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** where the figures go (default: <output dir>/figures); false for none */
  figures?: string | false | undefined;
  /**
   * an already loaded model to use instead of loading spec.model (tests, scripts, a study), or
   * how to get one when the sweep needs it (not for a finished or merged sweep); not disposed
   */
  model?: Model | (() => Promise<Model>) | undefined;
  /**
   * when another live run holds the output, wait until it ends or its lock is abandoned (another
   * host's, 2 minutes unrenewed) instead of refusing: for a cluster's retried task
   */
  waitForLock?: boolean | undefined;
  /**
   * what earlier sweeps of this process made, shared by the next: targets that depend on their
   * plan alone (a study's vanilla grid), their head bounds, and finished rows a later sweep would
   * run alike (lib/run/shared-rows.ts); each is taken from it, and kept in it once made
   */
  targetStore?: TargetStore | undefined;
  /**
   * finished results files (of earlier commands): rows of this sweep one of them holds, run alike
   * (the same model, target, method, init and settings; written by this version), are written
   * from it, not run again (lib/run/reuse.ts)
   */
  reuse?: readonly string[] | undefined;
}

/** SweepOptions' fields, as the compiler checks them against the interface. */
const SWEEP_OPTIONS: Record<keyof SweepOptions, true> = {
  resume: true,
  overwrite: true,
  signal: true,
  figures: true,
  model: true,
  waitForLock: true,
  targetStore: true,
  reuse: true,
};

export type { SweepProgress } from './sweep-progress.js';

export interface SweepSummary {
  output: string;
  /** how the sweep started (lib/run/start.ts); 'devices' for one worker per device */
  start: SweepStart['state'] | 'devices';
  /** the sweep's rows (this shard's); 0 for an interrupted --devices run, whose workers plan them */
  rows: number;
  /** rows this run finished; when interrupted, those it kept for --resume beside the resumed ones */
  rowsRun: number;
  /** rows earlier runs finished: a journal's or finished file's, or the shard files this run merged */
  rowsResumed: number;
  /** rows an earlier sweep of the run finished alike (runSweep's targetStore), written, not run */
  rowsShared: number;
  interrupted: boolean;
  /**
   * A resume interrupted while it read its rows back, before it changed any file: where those
   * rows (rowsResumed) stand as they were, its journal or the finished file it was to extend.
   */
  keptIn?: string;
  figures: WrittenFigure[];
  records: StoredRunRecord[];
}

function toRunRecord(
  r: TuneRecord,
  t: TargetRowMeta,
  shard: Shard | undefined,
  bound: BoundColumns | undefined,
): RunRecord {
  // What only the live run has stays behind; the target's metadata comes in.
  const { targetIndex: _index, seed: _seed, finalIds: _final, maxAbsLogit, ...row } = r;
  return {
    ...row,
    targetKind: t.kind,
    stopReason: r.stopReason,
    targetEntropyBits: t.entropyBits,
    requestedEntropyBits: t.requestedEntropyBits,
    shardIndex: shard?.index ?? 0,
    outliers: t.outliers ?? null,
    outlierMass: t.outlierMass ?? null,
    m: t.m ?? null,
    sourceModel: t.sourceModel ?? null,
    shuffleIndex: t.shuffleIndex ?? null,
    posTag: t.posTag ?? null,
    lmPromptIds: t.lmPromptIds ?? null,
    pairedWith: t.pairedWith ?? null,
    targetParams: JSON.stringify(t.params),
    ...(bound ? boundColumns(r.klNats, bound, maxAbsLogit) : {}),
  };
}

/** A deterministic rerun of a finished row reproduces it, unless the device, dtype or thread count changed. */
function sameResult(a: RunRecord, b: StoredRunRecord): boolean {
  const ids = (x: ArrayLike<number> | null | undefined) => JSON.stringify(Array.from(x ?? []));
  const kl = Object.is(Math.fround(a.klNats), Math.fround(b.klNats));
  return kl && a.epochs === b.epochs && a.bestEpoch === b.bestEpoch && ids(a.promptIds) === ids(b.promptIds);
}

export function runSweep(
  given: SweepSpecInput,
  options: SweepOptions = {},
  events: EventEmitter = new EventEmitter(),
): Promise<SweepSummary> {
  return runSweepSaying(SWEEP_WORDS, given, options, events);
}

/** runSweep, naming the command that runs a shard of it again in `words` (a study's sweep: the study's command). */
export async function runSweepSaying(
  words: ShardWords,
  given: SweepSpecInput,
  options: SweepOptions = {},
  events: EventEmitter = new EventEmitter(),
): Promise<SweepSummary> {
  // A spec a script wrote by hand is checked as parseSpec checks one (parsing is idempotent).
  const spec = parseSpec(specObject('runSweep', given));
  // A misspelt option is refused, not dropped for its default (a `figure: false` would draw them).
  // (It refuses a null or non-object options too.)
  refuseUnknownKeys('runSweep', options, SWEEP_OPTIONS, (m) => new ArgumentError(m));
  const o = options as Record<string, unknown>;
  for (const field of ['resume', 'overwrite', 'waitForLock']) checkBoolean('runSweep', o, field);
  checkFigures(o);
  checkSignal('runSweep', o);
  checkModelOption('runSweep', o, true);
  checkTargetStore('runSweep', o);
  checkReuse('runSweep', o.reuse);
  // One run per output for the run's whole life: a second sweep, a resume or a merge of the same
  // output is refused, naming this process, before it reads or writes anything. The output's
  // path is checked first (a directory, a missing folder), so that its lock can be made beside it.
  await ResultWriter.check(spec.output, { resume: true });
  // The figures' folder too: a file there would fail the sweep's last step, after all its work.
  const figures = figuresDir(spec, options);
  if (figures !== false) checkOutputFolder(figures);
  if (spec.shard && typeof options.figures === 'string')
    events.emit(
      'log',
      `no figures in ${options.figures}: a shard's rows are a slice of the sweep; draw them from the merged file (distprompt merge, then distprompt plot)`,
    );
  const what = options.resume ? 'resumed sweep' : 'sweep';
  const wait = options.waitForLock
    ? { signal: options.signal, onWait: (m: string) => events.emit('log', m) }
    : undefined;
  let lock;
  try {
    lock = await lockOutput(spec.output, what, LOCK_RENEW_MS, wait);
    if (lock.tookOver) events.emit('log', lock.tookOver);
  } catch (e) {
    // Ctrl-C while waiting for another run's lock: nothing was started.
    if (options.signal?.aborted && (e as Error).name === 'AbortError')
      return { ...nothingYet(spec, 'fresh'), interrupted: true };
    throw e;
  }
  try {
    // A lock taken over by another run stops this one as Ctrl-C would (its rows kept), and says why.
    const signal = options.signal ? AbortSignal.any([options.signal, lock.lost]) : lock.lost;
    const summary = await sweepLocked(spec, { ...options, signal }, events, words);
    if (lock.lost.aborted) throw lock.lost.reason;
    return summary;
  } finally {
    await lock.release();
  }
}

async function sweepLocked(
  spec: SweepSpec,
  options: SweepOptions,
  events: EventEmitter,
  words: ShardWords,
): Promise<SweepSummary> {
  // A wrong output is told before the model loads (which can take minutes), or any worker
  // starts, not after.
  const given = typeof options.model === 'object' ? options.model : undefined;
  let start;
  try {
    start = await sweepStart(spec, { ...options, modelIdentity: given?.info.identity });
  } catch (e) {
    // Interrupted while it read a finished output back: the file stands as it was.
    if (e instanceof ResumeStopped) return stoppedReadBack(spec, 'finished', e);
    throw e;
  }
  if (start.state === 'finished') {
    if (start.runAgain) {
      // Said with its options kept beside the line, for the command line to say its flags.
      const warning = keptWithoutRunAgain(spec.output, start.runAgain, words);
      events.emit('warning', String(warning), warning);
    }
    await removeMergedShards(spec.output, deviceCount(spec), specHash(spec));
    return readySweep(spec, start.state, options, start.results.records);
  }
  if (start.state === 'mergeable') {
    const dir = figuresDir(spec, options);
    const over = start.replaces ? ', replacing the file merged there before them' : '';
    finishing(events, `merging ${start.shards.length} shard files into ${spec.output}${over}`, spec.output, dir);
    await mergeSweepShards(start.shards, spec.output, { overwrite: start.replaces });
    events.emit('log', `merged ${start.shards.length} shard files into ${spec.output}`);
    // This run's own device shards, left by its earlier merge that failed (a full disk): removed now
    // the merged file is in place, as that merge would have; their rows were resumed, not run.
    if (deviceCount(spec) > 1 && start.shards.length === deviceCount(spec)) await removeShards(start.shards);
    return readySweep(spec, start.state, options);
  }
  if (deviceCount(spec) > 1 && !options.model) {
    // Each worker reads the reused files itself.
    const ran = await sweepOnDevices(spec, options, events, () =>
      finishing(events, `merging the device shards into ${spec.output}`, spec.output, figuresDir(spec, options)),
    );
    if (ran.interrupted)
      return {
        ...nothingYet(spec, 'devices'),
        interrupted: true,
        rowsResumed: ran.resumed,
        rowsRun: ran.rows - ran.resumed,
      };
    const merged = await readySweep(spec, 'devices', options);
    return {
      ...merged,
      rowsResumed: ran.resumed,
      rowsShared: ran.shared,
      rowsRun: merged.rows - ran.resumed - ran.shared,
    };
  }
  // Reused files are read before the model loads (minutes), so that a wrong one is told first.
  let offers: ReuseOffer[] = [];
  if (options.reuse?.length) {
    const targetStore = options.targetStore ?? new TargetStore();
    const read = await reuseResults(targetStore, options.reuse);
    for (const line of read.lines) events.emit('log', line);
    offers = read.offers;
    options = { ...options, targetStore };
  }
  // A migrated target's source is read before the model loads (minutes for a large one): a wrong one is told first.
  await checkSourceModels(
    spec.targets.flatMap((t) => (t.kind === 'migrated' ? [t.source] : [])),
    spec.device,
  );
  let model;
  try {
    model =
      typeof options.model === 'function'
        ? await options.model()
        : (options.model ??
          (await loadModel(spec.model, {
            device: spec.device,
            dtype: spec.dtype,
            rows: rowsToFit(spec),
            signal: options.signal,
          })));
  } catch (e) {
    // Ctrl-C while the model loads (minutes for an 8B): its build stops at its next tensor, and
    // nothing was run.
    if (stoppedBy(options.signal, e)) return { ...nothingYet(spec, start.state), interrupted: true };
    throw e;
  }
  if (options.model) checkGivenModel('runSweep', spec, model);
  try {
    const V = model.info.vocabSize;
    checkSweepFits(spec, model, await tokensNotBanned(model));
    // The fit check plans the targets as the plan does (tens of ms for thousands): a turn between.
    await nextTurn();
    let plan;
    try {
      plan = await planSweepYielding(spec, V, { fileTargetCount: targetFileCount }, options.signal);
    } catch (e) {
      // Ctrl-C while the rows were planned: nothing was written yet.
      if (stoppedBy(options.signal, e)) return { ...nothingYet(spec, start.state), interrupted: true };
      throw e;
    }
    const meta = sweepMetadata(spec, model);
    const out = spec.output;
    let writer: ResultWriter;
    let resumedRecords: StoredRunRecord[] = [];
    if (start.state === 'resumable') {
      const resumed = await resumeJournal(out, meta, plan.shardRows.length, events, options.signal);
      if (resumed instanceof ResumeStopped) return stoppedReadBack(spec, start.state, resumed);
      ({ writer, records: resumedRecords } = resumed);
    } else {
      writer = await ResultWriter.create(out, meta, { overwrite: options.overwrite });
    }
    // The writer's own set of the rows written: it grows as the run appends rows.
    const finished = writer.finishedRowIds;
    // Rows an earlier sweep of this run finished alike (lib/run/shared-rows.ts) are written as they
    // are, not run again.
    // Each pass over the plan's rows (500,000 in a large sweep; 0.1-0.3 s each in one go) goes a
    // slice per turn of the event loop, and a run that has finished none makes none.
    const left = await rowsToRunYielding({ deterministic: false }, plan.shardRows, finished);
    const taken = sharedRows(options.targetStore, spec, rowModel(model), plan, left);
    const counts = { left: left.length, taken: taken.size };
    for (const line of whyNoneTaken(offers, spec, rowModel(model), counts)) events.emit('log', line);
    if (taken.size) {
      const shardIndex = spec.shard?.index ?? 0;
      try {
        await writer.append([...taken.values()].map((r) => ({ ...r, shardIndex })));
      } catch (e) {
        await writer.abandon();
        throw e;
      }
      events.emit(
        'log',
        `${taken.size} rows finished by an earlier sweep of this run${options.reuse?.length ? ' or a reused file' : ''} (the same model, target, method, init and settings): written, not run again`,
      );
    }
    // Deterministic: a partly finished group reruns whole (its finished rows are compared with the
    // journal, not written twice), so that its other rows keep their batch. Otherwise the rows left
    // less those just taken: a pass over `left`, not over the whole plan again.
    const todo = await rowsToRunYielding(spec, spec.deterministic ? plan.shardRows : left, finished);
    // Only the finished rows that run again (a deterministic group's) are compared with their
    // journaled result: a resumed journal's other rows are not held for the rest of the run.
    const journaled = await rerunRecords(todo, finished, resumedRecords);
    resumedRecords = [];
    // The rows not finished: those left before the taken ones were written.
    let done = plan.shardRows.length - (left.length - taken.size);
    // Rows finished before this run began (resumed, or taken from an earlier sweep).
    const resumedRows = done;
    let tuningStart: number | undefined;
    let interrupted = false;
    // A failed journal write (a full disk) stops the tuning: its rows could not be kept.
    let writeFailed: unknown;
    const stopOnWriteFailure = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, stopOnWriteFailure.signal])
      : stopOnWriteFailure.signal;
    try {
      // Only the targets the remaining rows use (a resumed or sharded run needs fewer), with the
      // bound in whole groups of its solve: the bits of a target's bound then do not depend on
      // which rows a resume or a shard still runs.
      const bounded = spec.bound !== false;
      const used = new Set<string>();
      await eachYielding(todo, (r) => used.add(r.targetId), options.signal);
      const inPlan = targetsToMake(plan.targets, used, bounded, model.info.device);
      const plans = inPlan.map((i) => plan.targets[i]);
      // An interrupt before the first row skips what is left of the setup (the head bound of a
      // big sweep takes minutes): nothing of it would be kept.
      const stopped = () => options.signal?.aborted === true;
      // A resume of a journal holding every row (a run stopped while writing its file) makes none.
      if (!stopped() && plans.length) {
        const held = options.targetStore ? storedCount(options.targetStore, plans, V, model.info.device) : 0;
        const earlier = held ? ` (${held} of them made by an earlier sweep of this run)` : '';
        events.emit('log', `synthesising ${counted(plans.length, 'target')} over ${V} tokens${earlier}`);
      }
      const targets =
        plans.length && !stopped()
          ? await synthesizePlans(model, plans, options.targetStore, options.signal)
          : { data: new Float32Array(0), meta: [] };
      const index = new Map(plans.map((t, i) => [t.targetId, i]));
      // Checked and measured in synthesis already: uploaded once for every method and the bound as
      // a target set, which tune() and headBound() neither re-check nor re-measure (both passes
      // held the event loop).
      const uploaded = targets.meta.length
        ? await native().uploadTensor({ data: targets.data, shape: [plans.length, V], device: model.info.device })
        : undefined;
      // Each target's head bound, once, shared by its inits and methods; like the targets it is
      // recomputed for the rows a resume or a shard still runs (with the rest of their groups).
      const bounds =
        !bounded || !uploaded || stopped()
          ? undefined
          : await sweepBounds(
              model,
              { targets: uploaded, meta: targets.meta },
              inPlan,
              events,
              options.signal,
              options.targetStore && { store: options.targetStore, plans, data: targets.data },
            );

      // One tune() per method: a tuner runs one method; rows of all targets share its batch.
      for (const [label, rows] of await rowsByMethodYielding(todo, options.signal)) {
        if (options.signal?.aborted) break;
        // The rows as tune() takes them, a slice per turn: 500,000 at once held the loop 0.6 s.
        const tuneRows: TuneRow[] = [];
        const toTuneRow = (r: (typeof rows)[number]) =>
          tuneRows.push({
            targetIndex: index.get(r.targetId)!,
            initId: r.initId,
            rowId: r.rowId,
            seed: r.seed,
            group: r.group,
          });
        await eachYielding(rows, toTuneRow, options.signal);
        tuningStart ??= performance.now();
        const pending: RunRecord[] = [];
        const run = tuneEachRow(model, {
          targets: { targets: uploaded!, meta: targets.meta },
          targetIds: targets.meta.map((m) => m.id),
          rows: tuneRows,
          ...methodOptions(spec, rows[0]),
          maxEpochs: spec.maxEpochs,
          patience: spec.patience,
          batchSize: spec.batchSize,
          deterministic: spec.deterministic ?? false,
          signal,
        });
        run.on('row', (r: TuneRecord) => {
          // Rows cut short by an abort are not results: --resume runs them again.
          if (r.stopReason === 'aborted') {
            interrupted = true;
            return;
          }
          const record = toRunRecord(r, targets.meta[r.targetIndex], spec.shard, bounds?.[r.targetIndex]);
          if (record.belowHeadBound) events.emit('warning', belowBoundMessage(record, model.info.dtype));
          const before = journaled.get(r.rowId);
          if (!before) pending.push(record);
          else if (!sameResult(record, before)) {
            events.emit(
              'warning',
              `row ${r.rowId} reran with its group and differs from its journaled result ` +
                `(klNats ${record.klNats} vs ${before.klNats}): this run is not on the device, dtype and thread ` +
                'count of the first; the journaled result is kept',
            );
          }
        });
        run.on('warning', (m: string) => events.emit('warning', m));
        run.on('progress', (p: TuneProgress) => {
          const batch = pending.splice(0);
          done += batch.length;
          // Rows from a checkpoint changed under the model are not journaled (the check below throws).
          if (batch.length && !model.checkpointChanged()) {
            writer.append(batch).catch((e: unknown) => {
              writeFailed ??= e;
              stopOnWriteFailure.abort();
            });
          }
          events.emit('progress', {
            ...p,
            phase: 'tuning',
            method: label,
            sweepRowsDone: done,
            sweepRowsTotal: plan.shardRows.length,
            sweepRowsResumed: resumedRows,
            sweepElapsedMs: performance.now() - tuningStart!,
            maxEpochs: spec.maxEpochs,
          } satisfies SweepProgress);
        });
        await run;
        if (writeFailed) throw writeFailed;
        const rest = pending.splice(0);
        done += rest.length;
        model.assertCheckpointUnchanged();
        if (rest.length) await writer.append(rest);
      }
      uploaded?.dispose();
      if (options.signal?.aborted) interrupted = true;
      model.assertCheckpointUnchanged();
    } catch (e) {
      // A run that failed before its first row leaves no journal to block the corrected rerun.
      if (!stoppedBy(options.signal, e)) {
        await writer.abandon();
        throw e;
      }
      // Ctrl-C while the targets were made: as any other interrupt before the first row.
      interrupted = true;
    }
    if (interrupted) {
      // A journal without a row (interrupted in the setup) is removed: a plain rerun just runs.
      await writer.abandon();
      return {
        output: out,
        start: start.state,
        rows: plan.shardRows.length,
        rowsRun: done - resumedRows,
        rowsResumed: resumedRows - taken.size,
        rowsShared: taken.size,
        interrupted,
        figures: [],
        records: [],
      };
    }
    const order = plan.shardRows.map((r) => r.rowId);
    // Every row is done: what is left, the file and its figures, is finished even if the run is
    // aborted now (stopping would only leave the journal for a --resume to finish the same way).
    const dir = figuresDir(spec, options);
    finishing(events, `writing ${out}`, out, dir);
    // The final file and the figures are written on a worker thread (lib/run/end-worker.ts).
    const end = await endSweep(writer, { order, expectedRowIds: order }, dir);
    // Only a run that shares rows decodes them here; a caller who wants them asks for `records`.
    if (options.targetStore) shareRows(options.targetStore, spec, rowModel(model), plan, await end.readRecords());
    return {
      output: out,
      start: start.state,
      rows: plan.shardRows.length,
      rowsRun: plan.shardRows.length - resumedRows,
      rowsResumed: resumedRows - taken.size,
      rowsShared: taken.size,
      interrupted,
      figures: end.figures,
      get records() {
        return end.records();
      },
    };
  } finally {
    if (!options.model) model.dispose();
  }
}

/**
 * Opens the journal a resume continues and says what it holds. A function of its own: the sweep's
 * frame, which lives to the end of the run, would otherwise keep every resumed record with it.
 */
async function resumeJournal(
  out: string,
  meta: ReturnType<typeof sweepMetadata>,
  rows: number,
  events: EventEmitter,
  signal: AbortSignal | undefined,
): Promise<{ writer: ResultWriter; records: StoredRunRecord[] } | ResumeStopped> {
  let r;
  try {
    r = await openForResume(out, meta, signal);
  } catch (e) {
    if (e instanceof ResumeStopped) return e;
    throw e;
  }
  if (r.tornBytes) events.emit('log', `dropped ${r.tornBytes} bytes of a row batch torn by the interruption`);
  // A resume that found nothing (no journal: a fresh start) says so, not 'resuming: 0 of n'.
  events.emit(
    'log',
    r.fresh
      ? `no journal to resume: starting ${counted(rows, 'row')}`
      : `resuming: ${r.finished.size} of ${rows} rows already done`,
  );
  return { writer: r.writer, records: r.records };
}

/** `e` is the abort of `signal` (a Ctrl-C), not a failure. */
const stoppedBy = (signal: AbortSignal | undefined, e: unknown): boolean =>
  signal?.aborted === true && (e as Error | undefined)?.name === 'AbortError';

/** A sweep interrupted while it read its rows back, before it changed any file: they stand where they were. */
const stoppedReadBack = (spec: SweepSpec, start: SweepSummary['start'], stop: ResumeStopped): SweepSummary => ({
  ...nothingYet(spec, start),
  interrupted: true,
  rowsResumed: stop.rows,
  keptIn: stop.file,
});

/**
 * The journaled records (of `records`) of the rows in `todo` that are `finished`: the ones a
 * deterministic resume reruns, by id. Only such a resume passes over the records, a slice per turn.
 */
export async function rerunRecords<R extends { rowId: string }>(
  todo: readonly { rowId: string }[],
  finished: ReadonlySet<string>,
  records: readonly R[],
): Promise<Map<string, R>> {
  const kept = new Map<string, R>();
  // Nothing journaled (a fresh run): no pass over `todo` either.
  if (records.length === 0) return kept;
  const again = new Set((await filterYielding(todo, (r) => finished.has(r.rowId))).map((r) => r.rowId));
  if (again.size > 0) await eachYielding(records, (r) => again.has(r.rowId) && kept.set(r.rowId, r));
  return kept;
}

/**
 * Every row is done: what is left (a merge, the file, its figures) is finished even if the run is
 * aborted now (stopping would only leave a --resume to finish the same way). Said, and told to a
 * caller (the CLI's interrupt line says so from then on).
 */
function finishing(events: EventEmitter, doing: string, out: string, dir: string | false): void {
  events.emit('log', `every row is done: ${doing}${dir === false ? '' : ` and drawing its figures in ${dir}`}`);
  events.emit('finishing', out);
}

/**
 * Where the sweep's figures go, or false for none. A shard draws none: its rows are a slice of the
 * sweep, a figure of them would pass for the whole, and a split sweep's shards, written into one
 * folder, would each replace the figures of the one before (`plot` the merged file instead).
 */
const figuresDir = (spec: SweepSpec, options: SweepOptions): string | false =>
  options.figures === false || spec.shard ? false : (options.figures ?? join(dirname(spec.output), 'figures'));

function figuresOf(
  records: readonly StoredRunRecord[],
  spec: SweepSpec,
  options: SweepOptions,
): Promise<WrittenFigure[]> {
  const dir = figuresDir(spec, options);
  return dir === false ? Promise.resolve([]) : plotAll(records, dir);
}

/** A sweep that ran nothing yet (all of it left to a later --resume). */
function nothingYet(spec: SweepSpec, start: SweepSummary['start']): SweepSummary {
  return {
    output: spec.output,
    start,
    rows: 0,
    rowsRun: 0,
    rowsResumed: 0,
    rowsShared: 0,
    interrupted: false,
    figures: [],
    records: [],
  };
}

/** A sweep whose results file is there already (finished earlier, or merged just now): read it, draw its figures. */
async function readySweep(
  spec: SweepSpec,
  start: SweepSummary['start'],
  options: SweepOptions,
  read?: StoredRunRecord[],
): Promise<SweepSummary> {
  const records = read ?? (await readResults(spec.output)).records;
  return {
    ...nothingYet(spec, start),
    rows: records.length,
    // A finished file's rows, or merged shards', were run earlier, elsewhere: none by this run.
    rowsResumed: start === 'finished' || start === 'mergeable' ? records.length : 0,
    rowsRun: start === 'finished' || start === 'mergeable' ? 0 : records.length,
    figures: await figuresOf(records, spec, options),
    records,
  };
}
