// tune(model, options): continuous batching over the native tuner. All active rows live on the
// device; this loop only decides which row goes into which slot, when to harvest, and what to
// tell the caller. One native call runs a chunk of epochs for the whole batch.
import { EventEmitter } from 'node:events';

import type { Model } from '../model/model.js';
import { native } from '../native/index.js';
import type { NativeHarvest, NativeTuner } from '../native/types-tuner.js';
import { autoBatchSize } from './batch-size.js';
import { parseTuneOptions, STOP_REASONS, TuneOptionsError, type TuneSettings } from './options.js';
import type { TuneRecord } from './record.js';
import { rowSeed } from './seed.js';
import { resolveTargets, type ResolvedTargets, type TuneTargets } from './targets-input.js';

export interface TuneRow {
  targetIndex: number;
  initId: number;
  rowId?: string;
  /** the row's init seed (default: from (seed, target id, init id), as the sweep planner does) */
  seed?: number;
}

export interface TuneOptions extends Partial<Omit<TuneSettings, 'pattern'>> {
  targets: TuneTargets;
  /** stable ids of the targets (default: from a target set's meta, else target:<index>) */
  targetIds?: string[];
  pattern?: string;
  /** run exactly these rows (a sweep's plan, a shard, a resume) instead of every target × init */
  rows?: TuneRow[];
  signal?: AbortSignal;
  /** fixed token ids before / after the searched positions (a BOS, a chat template, a question) */
  contextBefore?: Int32Array;
  contextAfter?: Int32Array;
  /** explicit banned token ids (added to the `ban` policy's) */
  banned?: Int32Array;
  /** free device bytes to size the batch from (default: measured) */
  freeBytes?: number;
}

export interface TuneProgress {
  rowsDone: number;
  rowsTotal: number;
  activeRows: number;
  batchSize: number;
  rowStepsPerSecond: number;
  meanBestKlNats: number;
  elapsedMs: number;
}

interface Slot {
  row: Required<TuneRow>;
  seed: number;
  started: number;
}

export class TuneRun extends EventEmitter implements PromiseLike<TuneRecord[]> {
  readonly #promise: Promise<TuneRecord[]>;
  constructor(run: (self: TuneRun) => Promise<TuneRecord[]>) {
    super();
    // Start on the next tick so callers can subscribe to events first.
    this.#promise = new Promise<void>((r) => setImmediate(r)).then(() => run(this));
    this.#promise.catch(() => {}); // rejection is delivered through then/catch of the caller
  }
  then<A = TuneRecord[], B = never>(ok?: ((v: TuneRecord[]) => A | PromiseLike<A>) | null, fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#promise.then(ok, fail);
  }
  catch<B = never>(fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<TuneRecord[] | B> {
    return this.#promise.catch(fail);
  }
}

async function bannedIds(model: Model, policy: TuneSettings['ban'], extra?: Int32Array): Promise<Int32Array | undefined> {
  const ids = new Set<number>(extra ?? []);
  if (policy !== 'none' && model.tokenizer) {
    const { bannedTokenIds } = await import('../tokenizer/index.js');
    for (const id of bannedTokenIds(model.tokenizer as never, { nonPrintable: policy === 'special+nonprintable' })) ids.add(id);
  }
  return ids.size ? Int32Array.from([...ids].sort((a, b) => a - b)) : undefined;
}

function promptText(model: Model, ids: Int32Array): string | null {
  const tok = model.tokenizer;
  if (!tok) return null;
  return Array.from(ids, (id) => (id < 0 ? '⟨soft⟩' : tok.tokenText(id))).join('');
}

export function tune(model: Model, options: TuneOptions): TuneRun {
  // Validate everything before any work: bad options reject the run, never half-run it.
  const { targets, targetIds, rows: givenRows, signal, contextBefore, contextAfter, banned, freeBytes, ...rest } = options;
  let settings: ReturnType<typeof parseTuneOptions>;
  let resolved: ResolvedTargets;
  let setupError: unknown;
  try {
    settings = parseTuneOptions(rest);
    resolved = resolveTargets(targets, model.info.vocabSize, targetIds);
    if (settings.cudaGraph && !model.info.device.startsWith('cuda')) {
      throw new TuneOptionsError(`invalid tune options:\n  cudaGraph: needs a model on a CUDA device; this one is on ${model.info.device}`);
    }
  } catch (e) {
    setupError = e;
  }
  return new TuneRun(async (self) => {
    if (setupError) throw setupError;
    return runRows(self, model, settings!, resolved!, { givenRows, signal, contextBefore, contextAfter, banned, freeBytes });
  });
}

async function runRows(
  self: TuneRun,
  model: Model,
  s: ReturnType<typeof parseTuneOptions>,
  targets: ResolvedTargets,
  o: Pick<TuneOptions, 'signal' | 'contextBefore' | 'contextAfter' | 'banned' | 'freeBytes'> & { givenRows?: TuneRow[] },
): Promise<TuneRecord[]> {
  const L = s.prefixLength;
  const rows: Required<TuneRow>[] = (
    o.givenRows ?? Array.from({ length: targets.count * s.inits }, (_, i): TuneRow => ({ targetIndex: Math.floor(i / s.inits), initId: i % s.inits }))
  ).map((r: TuneRow) => {
    if (!Number.isInteger(r.targetIndex) || r.targetIndex < 0 || r.targetIndex >= targets.count) {
      throw new RangeError(`row targetIndex ${r.targetIndex} is outside the ${targets.count} targets`);
    }
    return {
      ...r,
      rowId: r.rowId ?? `${targets.ids[r.targetIndex]}|init=${r.initId}|${s.method}:${s.pattern}:k${s.candidates}`,
      seed: r.seed ?? rowSeed(s.seed, targets.ids[r.targetIndex], r.initId),
    };
  });
  const results: TuneRecord[] = [];
  if (rows.length === 0) return results;
  const banned = await bannedIds(model, s.ban, o.banned);
  let slotsCount = s.batchSize === 'auto' ? autoBatchSize(model.info, L, s.candidates, rows.length, o.freeBytes) : Math.min(s.batchSize, rows.length);
  const nm = model.native;
  const make = (slots: number): NativeTuner =>
    native().createTuner(nm, {
      slots,
      pattern: s.pattern,
      lr: s.lr,
      beta1: s.beta1,
      beta2: s.beta2,
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
      cudaGraph: s.cudaGraph,
    });
  let tuner = make(slotsCount);
  // Plain-array targets go to the device once; every refill then indexes rows there.
  const uploaded = targets.data instanceof Float32Array
    ? native().tensorFromArray({ data: targets.data, shape: [targets.count, model.info.vocabSize], device: model.info.device })
    : undefined;
  const targetData = uploaded ?? targets.data;
  const queue = rows.slice().reverse(); // pop() from the end = plan order
  let slots: (Slot | undefined)[] = new Array(slotsCount).fill(undefined);
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
    const free: number[] = [];
    const load: Slot[] = [];
    for (let i = 0; i < slots.length && queue.length; i++) {
      if (slots[i]) continue;
      const row = queue.pop()!;
      const slot: Slot = { row, seed: row.seed, started: performance.now() };
      slots[i] = slot;
      free.push(i);
      load.push(slot);
    }
    if (!free.length) return;
    await tuner.load({
      slots: Int32Array.from(free),
      targets: targetData,
      targetRows: Int32Array.from(load.map((l) => l.row.targetIndex)),
      seeds: Float64Array.from(load.map((l) => l.seed)),
    });
  };

  const collect = async (which: number[], forceReason?: 'aborted') => {
    if (!which.length) return;
    const h: NativeHarvest = await tuner.harvest(Int32Array.from(which));
    const d = model.info.hiddenSize;
    which.forEach((slotIndex, j) => {
      const slot = slots[slotIndex]!;
      const ids = h.bestIds.slice(j * L, (j + 1) * L);
      const reason = h.reason[j] === 0 ? (forceReason ?? 'aborted') : STOP_REASONS[h.reason[j]];
      results.push({
        rowId: slot.row.rowId,
        targetIndex: slot.row.targetIndex,
        targetId: targets.ids[slot.row.targetIndex],
        initId: slot.row.initId,
        seed: slot.seed,
        method: s.method,
        pattern: s.pattern,
        candidates: s.candidates,
        prefixLength: L,
        klNats: h.bestLoss[j],
        bestEpoch: h.bestEpoch[j],
        epochs: h.epochs[j],
        stopReason: reason,
        modelEntropyBits: h.modelEntropyBits[j],
        targetEntropyBits: targets.entropyBits[slot.row.targetIndex],
        promptIds: ids,
        finalIds: h.currentIds.slice(j * L, (j + 1) * L),
        promptText: s.method === 'soft' ? null : promptText(model, ids),
        softPrompt: s.returnSoftPrompt ? h.bestSoft.slice(j * L * d, (j + 1) * L * d) : null,
        wallMs: performance.now() - slot.started,
      });
      self.emit('row', results[results.length - 1]);
      slots[slotIndex] = undefined;
    });
  };

  try {
    for (;;) {
      try {
        await fill();
        const active = slots.filter(Boolean).length;
        if (active === 0) break;
        const rep = await tuner.step(s.chunkEpochs);
        rowSteps += rep.epochsRun * active * (s.method === 'soft' ? 1 : L);
        const stopped: number[] = [];
        rep.stopped.forEach((v, i) => v && slots[i] && stopped.push(i));
        await collect(stopped);
        if (aborted) {
          await collect(slots.flatMap((x, i) => (x ? [i] : [])), 'aborted');
          break;
        }
        const elapsedMs = performance.now() - t0;
        const finite = results.filter((r) => Number.isFinite(r.klNats));
        self.emit('progress', {
          rowsDone: results.length,
          rowsTotal: rows.length,
          activeRows: slots.filter(Boolean).length,
          batchSize: slotsCount,
          rowStepsPerSecond: rowSteps / (elapsedMs / 1000),
          meanBestKlNats: finite.length ? finite.reduce((a, r) => a + r.klNats, 0) / finite.length : NaN,
          elapsedMs,
        } satisfies TuneProgress);
      } catch (e) {
        // Out of device memory: halve the batch and restart the rows in flight (their results
        // depend only on their seeds, so restarting changes nothing but time); again if needed,
        // down to one row, which failing is a real error.
        const msg = (e as Error).message ?? '';
        if (/out of memory|not enough memory/i.test(msg) && slotsCount > 1) {
          // Back on the queue so that they pop in their plan order again.
          for (const sl of slots.filter((x): x is Slot => !!x).reverse()) queue.push(sl.row);
          tuner.dispose();
          native().releaseCachedMemory(model.info.device);
          slotsCount = Math.max(1, Math.floor(slotsCount / 2));
          tuner = make(slotsCount);
          slots = new Array(slotsCount).fill(undefined);
          self.emit('warning', `out of memory on ${model.info.device}: batch size halved to ${slotsCount} (${msg.split('\n')[0]})`);
          continue;
        }
        throw e;
      }
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    tuner.dispose();
    uploaded?.dispose();
  }
  return results;
}


