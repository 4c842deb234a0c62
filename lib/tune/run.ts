// tune(model, options): continuous batching over the native tuner. All active rows live on the
// device; this loop asks the scheduler which row goes into which slot, harvests stopped rows into
// records, applies the out-of-memory policy and tells the caller. One native call runs a chunk of
// epochs for the whole batch.
import { EventEmitter } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { z } from 'zod';

import type { Model } from '../model/model.js';
import { candidatesBeyondIssue } from '../spec/pattern.js';
import { positionsProblem } from '../model/positions.js';
import { native } from '../native/index.js';
import type { NativeTuner } from '../native/types-tuner.js';
import { autoBatchSize } from './batch-size.js';
import { recordsFromHarvest, type PlannedRow } from './harvest.js';
import { onOutOfMemory } from './oom.js';
import { checkBatchFits, checkTuneInputs, tuneOptionsObject } from './inputs.js';
import {
  cudaGraphFor,
  parseTuneOptions,
  tuneOptionsError,
  TuneOptionsSchema,
  type TuneSettings,
} from '../spec/tune-options.js';
import type { TuneRecord } from './record.js';
import { planTuneRows, type TuneRow } from './rows.js';
import { SlotScheduler } from './scheduler.js';
import { resolveTargets, type ResolvedTargets, type TuneTargets } from './targets-input.js';

export type { TuneRow } from './rows.js';

/**
 * The settings as the schema reads them (z.input: each may be left out or undefined, which takes
 * its default), and the inputs it does not hold. An undefined input is as good as one left out.
 */
export interface TuneOptions extends z.input<typeof TuneOptionsSchema> {
  targets: TuneTargets;
  /** stable ids of the targets (default: from a target set's meta, else target:<index>) */
  targetIds?: readonly string[] | undefined;
  /** run exactly these rows (a sweep's plan, a shard, a resume) instead of every target × init */
  rows?: readonly TuneRow[] | undefined;
  signal?: AbortSignal | undefined;
  /** fixed token ids before / after the searched positions (a BOS, a chat template, a question) */
  contextBefore?: Int32Array | undefined;
  contextAfter?: Int32Array | undefined;
  /** explicit banned token ids (added to the `ban` policy's) */
  banned?: Int32Array | undefined;
  /** free device bytes to size the batch from (default: measured) */
  freeBytes?: number | undefined;
}

export interface TuneProgress {
  rowsDone: number;
  rowsTotal: number;
  activeRows: number;
  batchSize: number;
  rowStepsPerSecond: number;
  /** the mean best KL of the rows finished so far: NaN before the first (null in `--json`) */
  meanBestKlNats: number;
  elapsedMs: number;
}

/** What a TuneRun's listeners get: typed, so that a misspelt field of an event does not compile. */
export interface TuneRunEvents {
  progress: TuneProgress;
  row: TuneRecord;
  /** an out-of-memory retry at a smaller batch */
  warning: string;
}

export class TuneRun extends EventEmitter implements PromiseLike<TuneRecord[]> {
  readonly #promise: Promise<TuneRecord[]>;
  constructor(run: (self: TuneRun) => Promise<TuneRecord[]>) {
    super();
    // Start on the next tick so callers can subscribe to events first.
    this.#promise = new Promise<void>((r) => setImmediate(r)).then(() => run(this));
    this.#promise.catch(() => {}); // rejection is delivered through then/catch of the caller
  }
  // EventEmitter's own signatures give a listener `any`: these come first, so that the values of
  // its events are typed (a misspelt field does not compile); the general ones stay for the rest.
  on<E extends keyof TuneRunEvents>(event: E, listener: (value: TuneRunEvents[E]) => void): this;
  on(event: string | symbol, listener: (...args: unknown[]) => void): this;
  on(event: string | symbol, listener: (...args: unknown[]) => void): this {
    return super.on(event, listener);
  }
  once<E extends keyof TuneRunEvents>(event: E, listener: (value: TuneRunEvents[E]) => void): this;
  once(event: string | symbol, listener: (...args: unknown[]) => void): this;
  once(event: string | symbol, listener: (...args: unknown[]) => void): this {
    return super.once(event, listener);
  }
  then<A = TuneRecord[], B = never>(
    ok?: ((v: TuneRecord[]) => A | PromiseLike<A>) | null,
    fail?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(ok, fail);
  }
  catch<B = never>(fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<TuneRecord[] | B> {
    return this.#promise.catch(fail);
  }
}

async function bannedIds(
  model: Model,
  policy: TuneSettings['ban'],
  extra?: Int32Array,
): Promise<Int32Array | undefined> {
  const ids = new Set<number>(extra ?? []);
  if (policy !== 'none' && model.tokenizer) {
    const { bannedTokenIds } = await import('../tokenizer/index.js');
    for (const id of bannedTokenIds(model.tokenizer as never, { nonPrintable: policy === 'special+nonprintable' }))
      ids.add(id);
  }
  return ids.size ? Int32Array.from([...ids].sort((a, b) => a - b)) : undefined;
}

/**
 * The tokens a hard position can take under tune()'s default ban ('special': the tokenizer's
 * special and added tokens and the ids no token has), so that a sweep can check HotFlip's k against
 * them before its first row.
 */
export async function tokensNotBanned(model: Model): Promise<number> {
  return model.info.vocabSize - ((await bannedIds(model, 'special'))?.length ?? 0);
}

// Each run of hard positions is decoded as one text, as the model reads its bytes: a character
// whose bytes span two tokens is that character, not two U+FFFD.
/** Rows a harvest hands to its listeners between two turns of the event loop. */
const ROWS_PER_TURN = 256;

function promptText(model: Model, ids: Int32Array): string | null {
  const tok = model.tokenizer;
  if (!tok) return null;
  let text = '';
  let from = 0;
  for (let i = 0; i <= ids.length; i++) {
    if (i < ids.length && ids[i] >= 0) continue;
    text += tok.tokensText(ids.subarray(from, i));
    if (i < ids.length) text += '⟨soft⟩';
    from = i + 1;
  }
  return text;
}

export function tune(model: Model, options: TuneOptions): TuneRun {
  return startTune(model, options, true);
}

/**
 * tune() for a caller that takes every row from its 'row' events and needs nothing more (a sweep
 * journals them): the run resolves to no records, so a sweep of a million rows does not hold every
 * record of a method until the method ends.
 */
export function tuneEachRow(model: Model, options: TuneOptions): TuneRun {
  return startTune(model, options, false);
}

function startTune(model: Model, options: TuneOptions, keep: boolean): TuneRun {
  // Validate everything before any work: bad options reject the run, never half-run it.
  let settings: ReturnType<typeof parseTuneOptions>;
  let resolved: ResolvedTargets;
  let inputs: RunInputs;
  let setupError: unknown;
  try {
    const { targets, targetIds, rows, signal, contextBefore, contextAfter, banned, freeBytes, ...rest } =
      tuneOptionsObject(model, options) as unknown as TuneOptions;
    settings = parseTuneOptions(rest);
    inputs = { givenRows: rows, signal, contextBefore, contextAfter, banned, freeBytes };
    checkTuneInputs(inputs, model.info.vocabSize);
    // Which tokens are special is the tokenizer's to say: without one, an asked-for ban would ban nothing.
    if (rest.ban !== undefined && rest.ban !== 'none' && !model.tokenizer)
      throw tuneOptionsError([
        {
          path: 'ban',
          message:
            `'${rest.ban}' needs the model's tokenizer to know which tokens to ban, and ${model.info.name} has none ` +
            "(loaded with tokenizer: false, or a preset without one): load it with its tokenizer, or pass ban: 'none' " +
            'and the ids in banned',
        },
      ]);
    resolved = resolveTargets(targets, model.info.vocabSize, targetIds);
    if (settings.cudaGraph && !model.info.device.startsWith('cuda')) {
      throw tuneOptionsError([
        { path: 'cudaGraph', message: `needs a model on a CUDA device; this one is on ${model.info.device}` },
      ]);
    }
    const context = (contextBefore?.length ?? 0) + (contextAfter?.length ?? 0);
    const tooLong = positionsProblem(model, settings.prefixLength, context);
    if (tooLong) throw tuneOptionsError([{ path: 'prefixLength', message: tooLong }]);
  } catch (e) {
    setupError = e;
  }
  return new TuneRun(async (self) => {
    if (setupError) throw setupError;
    return runRows(self, model, settings!, resolved!, inputs!, keep);
  });
}

type RunInputs = Pick<TuneOptions, 'signal' | 'contextBefore' | 'contextAfter' | 'banned' | 'freeBytes'> & {
  givenRows?: readonly TuneRow[];
};

async function runRows(
  self: TuneRun,
  model: Model,
  s: ReturnType<typeof parseTuneOptions>,
  targets: ResolvedTargets,
  o: RunInputs,
  keep: boolean,
): Promise<TuneRecord[]> {
  const L = s.prefixLength;
  const rows = await planTuneRows(o.givenRows, targets, s);
  const results: TuneRecord[] = [];
  // The progress events' counts and mean, kept as rows finish: a pass over the finished rows at
  // every chunk would cost a long sweep more per chunk the further it gets.
  let rowsDone = 0;
  let finiteRows = 0;
  let klSum = 0;
  if (rows.length === 0) return results;
  const banned = await bannedIds(model, s.ban, o.banned);
  // Every row's prompt starts from allowed tokens (soft ones too, from their embeddings): with none
  // left, the tuner could only fail inside.
  if (banned && banned.length >= model.info.vocabSize)
    throw tuneOptionsError([
      {
        path: 'banned',
        message:
          `every one of ${model.info.name}'s ${model.info.vocabSize} tokens is banned (ban '${s.ban}'` +
          `${o.banned?.length ? `, and the ${o.banned.length} ids of banned` : ''}), so a prompt has no token to ` +
          "start from: ban fewer (ban 'special' bans its tokenizer's special tokens and the ids no token has)",
      },
    ]);
  const beyond = candidatesBeyondIssue(
    s.pattern,
    s.candidates,
    model.info,
    model.info.vocabSize - (banned?.length ?? 0),
  );
  if (beyond) throw tuneOptionsError([{ path: 'candidates', message: beyond }]);
  // Plain-array targets go to the device once; every refill then indexes rows there.
  // Before the automatic batch is sized, so that what they take is no longer available to it.
  const uploaded =
    targets.data instanceof Float32Array
      ? native().tensorFromArray({
          data: targets.data,
          shape: [targets.count, model.info.vocabSize],
          device: model.info.device,
        })
      : undefined;
  // Deterministic: always batchSize slots, so a group's shapes never depend on how many rows are left.
  const slotsCount =
    s.batchSize === 'auto'
      ? autoBatchSize(model.info, L, s.candidates, rows.length, o.freeBytes)
      : s.deterministic
        ? s.batchSize
        : Math.min(s.batchSize, rows.length);
  const make = (slots: number): NativeTuner =>
    native().createTuner(model.native, {
      slots,
      pattern: s.pattern,
      lr: s.lr,
      beta1: s.beta1,
      beta2: s.beta2,
      eps: s.eps,
      weightDecay: s.weightDecay,
      candidates: s.candidates,
      patience: s.patience,
      maxEpochs: s.maxEpochs,
      convergedNats: s.convergedNats,
      init: s.init,
      banned,
      contextBefore: o.contextBefore,
      contextAfter: o.contextAfter,
      fixedShapes: s.fixedShapes,
      cudaGraph: cudaGraphFor(s, model.info.device),
      prefixCache: s.prefixCache,
      stopStalled: s.stopStalled,
    });
  let tuner: NativeTuner;
  try {
    if (s.deterministic) checkBatchFits(model, slotsCount, L, s.candidates, o.freeBytes);
    tuner = make(slotsCount);
  } catch (e) {
    uploaded?.dispose();
    throw e;
  }
  const targetData = uploaded ?? targets.data;
  const grouping = s.deterministic ? { groupOf: (r: PlannedRow) => r.group! } : {};
  const sched = new SlotScheduler<PlannedRow>(rows, slotsCount, grouping);
  const t0 = performance.now();
  let rowSteps = 0;
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    tuner.abort();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();

  const fill = async () => {
    const placed = sched.fill();
    if (!placed.length) return;
    await tuner.load({
      slots: Int32Array.from(placed.map((p) => p.slot)),
      targets: targetData,
      targetRows: Int32Array.from(placed.map((p) => p.row.targetIndex)),
      seeds: Float64Array.from(placed.map((p) => p.row.seed)),
    });
  };

  const decode = (ids: Int32Array) => promptText(model, ids);
  const collect = async (which: number[]) => {
    if (!which.length) return;
    const h = await tuner.harvest(Int32Array.from(which));
    const harvested = which.map((slot) => sched.release(slot));
    const context = { settings: s, targets, hiddenSize: model.info.hiddenSize, decode, now: performance.now() };
    const records = recordsFromHarvest(h, harvested, context);
    // A turn of the event loop between slices: a listener (a sweep's journal) handles each row,
    // and a harvest of thousands at once would hold the caller's loop.
    for (const [i, r] of records.entries()) {
      if (i > 0 && i % ROWS_PER_TURN === 0) await nextTurn();
      rowsDone++;
      if (Number.isFinite(r.klNats)) {
        finiteRows++;
        klSum += r.klNats;
      }
      if (keep) results.push(r);
      self.emit('row', r);
    }
  };

  try {
    for (;;) {
      try {
        await fill();
        const active = sched.active;
        if (active === 0) break;
        const rep = await tuner.step(s.chunkEpochs);
        // A pattern with a hard position runs the positional epoch (a step per position); one
        // without, a hybrid of S only too, the soft epoch (one step).
        rowSteps += rep.epochsRun * active * (s.pattern.includes('H') ? L : 1);
        await collect(sched.activeSlots().filter((i) => rep.stopped[i]));
        if (aborted) {
          await collect(sched.activeSlots());
          break;
        }
        const elapsedMs = performance.now() - t0;
        self.emit('progress', {
          rowsDone,
          rowsTotal: rows.length,
          activeRows: sched.active,
          batchSize: sched.slotCount,
          rowStepsPerSecond: rowSteps / (elapsedMs / 1000),
          meanBestKlNats: finiteRows ? klSum / finiteRows : NaN,
          elapsedMs,
        } satisfies TuneProgress);
      } catch (e) {
        const device = model.info.device;
        const next = onOutOfMemory(e, sched.slotCount, { device, deterministic: s.deterministic });
        if (!next.retry) throw next.error;
        tuner.dispose();
        native().releaseCachedMemory(model.info.device);
        tuner = make(next.slots);
        sched.restart(next.slots);
        self.emit('warning', next.warning);
      }
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    tuner.dispose();
    uploaded?.dispose();
  }
  return results;
}
