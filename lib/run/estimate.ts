// estimateSweep(spec): what a sweep will cost before it runs, from a few seconds of calibration
// on its own model and device, writing nothing. Per method: the epoch time at the batch the
// sweep would use and at a small one (so the tail of a sweep, with few rows left, is priced at
// what few rows cost), and a sample of the method's own rows run to their stop (so the typical
// case knows how early rows stop by patience). Setup (model load, target synthesis, the head
// bound) is timed on the sample's targets and scaled to the sweep's (the bound per group of its
// solve: estimate-bound.ts). The rows then go through
// the same continuous batching as tune() (estimate-batching.ts): the worst case with every row
// at its epoch budget, the typical one with the sample's epochs.
import { readFileSync } from 'node:fs';

import { loadModel } from '../model/load.js';
import type { Model } from '../model/model.js';
import { native } from '../native/index.js';
import { refuseUnknownKeys } from '../spec/fields.js';
import { parseSpec, type SweepSpec, type SweepSpecInput } from '../spec/index.js';
import { STUDY_DEFAULTS } from '../spec/defaults.js';
import { refuseDamagedJournal } from '../results/index.js';
import { planSweep, rowsByMethod, rowsOfShard, rowsToRun, type RowPlan } from '../sweep/index.js';
import { targetFileCount } from '../targets/file.js';
import { synthesizePlans, TargetStore } from '../targets/index.js';
import { plannedCount } from '../targets/store.js';
import { autoBatchSize } from '../tune/batch-size.js';
import { tokensNotBanned, tune, type TuneOptions, type TuneRow } from '../tune/index.js';
import { methodOptions, type MethodOptions } from './method-options.js';
import {
  checkGivenModel,
  specObject,
  checkModelOption,
  checkPositive,
  checkSignal,
  checkTargetStore,
} from './run-options.js';
import { batchedSeconds, epochsFromSample, type EpochCost } from './estimate-batching.js';
import { chunkedEpochSeconds } from './estimate-epoch.js';
import { targetsToMake } from './bound-columns.js';
import { boundPriceSeconds, entropyGridPoint, gridEnds } from './estimate-bound.js';
import { boundTargetsToSolve } from './shared-bounds.js';
import { plannedRows, rowModel } from './shared-rows.js';
import { checkReuse, reuseResults, whyNoneTaken, type ReuseOffer } from './reuse.js';
import { checkKeptFile, type KeptRows } from './kept.js';
import { deviceCount, firstDevice } from './shards.js';
import { checkSweepFits } from './fit.js';
import { sweepMetadata } from './metadata.js';
import { ArgumentError } from '../io/argument-error.js';

export interface EstimateOptions {
  /** seconds of calibration per method, about (default 4) */
  calibrationSeconds?: number;
  /** rows of each method run to their stop for the typical case (default 8) */
  sampleRows?: number;
  /**
   * what a resume would keep (`keptRows(spec)`): only the rows left are priced, and a file the
   * resume would refuse (another spec, model or targets file) is refused here, with the same words
   */
  kept?: KeptRows;
  /** an already loaded model (a study's, shared by its sweeps); else spec.model is loaded and its load timed */
  model?: Model;
  /**
   * what earlier plans in this process measured (a study's sweeps share it): each method's epoch
   * line by model and prompt length, and the head bound's part per row and each sample target's
   * passes and rows
   */
  costs?: Map<string, EpochCost>;
  /**
   * the store the sweeps planned with it will run with (runSweep's targetStore): the targets an
   * earlier sweep planned or ran with it makes are not priced again
   */
  targetStore?: TargetStore;
  /** finished results files the sweep would take rows from (runSweep's reuse): those rows are not priced */
  reuse?: readonly string[];
  /**
   * stops the calibration: the promise then rejects with the signal's reason (an AbortError), as
   * tune and headBound do, rather than resolving to a plan priced from part of its calibration
   */
  signal?: AbortSignal;
}

export interface MethodEstimate {
  /** the method label (soft, hard:k=4, hybrid:HHSSS:k=1) */
  method: string;
  rows: number;
  /** of them, on the busiest device (all of them on one device) */
  rowsPerDevice: number;
  /** slots the sweep runs this method with */
  batchSize: number;
  epochCost: EpochCost;
  /** row-epochs per second with every slot busy */
  rowEpochsPerSecond: number;
  /**
   * the sample rows run to their stop: `stopped` of them stopped within the calibration time; a
   * row cut off counts halfway between the earliest it could stop and the budget
   */
  sample: { rows: number; stopped: number; meanEpochs: number };
  worstSeconds: number;
  typicalSeconds: number;
}

export interface SweepEstimate {
  model: string;
  device: string;
  dtype: string;
  output: string;
  /** the rows to run: all of the sweep's, or with `kept` those a resume has left */
  rows: number;
  /** rows a resume keeps, or that the shard files a run merges hold (0 without `kept`) */
  keptRows: number;
  /** shard files beside the output that the run merges instead of running rows (kept.mergedShards) */
  mergedShards: number;
  /** rows an earlier sweep planned with the same targetStore runs alike: written by the sweep, not run */
  sharedRows: number;
  /**
   * with `reuse`: the lines the run logs about its files, a file passed over (another version, a
   * targets file changed since) and, where none of its rows is taken, why (another model, the
   * settings that differ with both values); empty without `reuse`
   */
  reuseNotes: string[];
  /** devices the rows are split over (`devices`, one shard each); the seconds are the busiest one's */
  devices: number;
  /** targets the sweep makes for these rows (with the bound, whole groups of its solve) */
  targets: number;
  maxEpochs: number;
  /** rows × epoch budget */
  worstRowEpochs: number;
  /** Σ rows' typical epochs */
  typicalRowEpochs: number;
  /** seconds before the first row: model load (0 when it was given), target synthesis, head bound */
  setup: { loadSeconds: number; targetsSeconds: number; boundSeconds: number };
  methods: MethodEstimate[];
  worstSeconds: number;
  typicalSeconds: number;
  /** the seconds this estimate took */
  calibrationSeconds: number;
}

/** EstimateOptions' fields, as the compiler checks them against the interface. */
const ESTIMATE_OPTIONS: Record<keyof EstimateOptions, true> = {
  calibrationSeconds: true,
  sampleRows: true,
  kept: true,
  model: true,
  costs: true,
  targetStore: true,
  reuse: true,
  signal: true,
};

const DEFAULT_CALIBRATION_SECONDS = 4;
const DEFAULT_SAMPLE_ROWS = 8;

/** Every count-th of `items`, `n` at most, spread over the whole list (plans are ordered by entropy). */
export function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / n)]);
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/**
 * The seconds a sweep spends on work the sample is `1 / scale` of. A first call pays once what
 * later calls do not (the target worker's start, a head's float64 copy: 1.5 s against 56 ms for
 * a head bound of 16 targets on random:micro), which scaled with the sample made a plan of
 * thousands of targets price their synthesis 15 times over. So one item is done first and counted
 * once, and only the sample's time, warm, is scaled.
 */
export async function scaledSeconds<T>(
  once: () => Promise<unknown>,
  sample: () => Promise<T>,
  scale: number,
): Promise<{ result: T; seconds: number }> {
  let t0 = performance.now();
  await once();
  const first = seconds(t0);
  t0 = performance.now();
  const result = await sample();
  return { result, seconds: first + seconds(t0) * scale };
}

export async function estimateSweep(given: SweepSpecInput, options: EstimateOptions = {}): Promise<SweepEstimate> {
  // A spec a script wrote by hand is checked as parseSpec checks one (parsing is idempotent).
  const spec = parseSpec(specObject('estimateSweep', given));
  // (It refuses a null or non-object options too.)
  refuseUnknownKeys('estimateSweep', options, ESTIMATE_OPTIONS, (m) => new ArgumentError(m));
  const o = options as Record<string, unknown>;
  checkPositive('estimateSweep', o, 'calibrationSeconds');
  checkPositive('estimateSweep', o, 'sampleRows', true);
  checkSignal('estimateSweep', o);
  checkModelOption('estimateSweep', o, false);
  checkTargetStore('estimateSweep', o);
  checkReuse('estimateSweep', o.reuse);
  if (o.costs !== undefined && !(o.costs instanceof Map))
    throw new ArgumentError('estimateSweep: option costs must be a Map (one an earlier estimate filled), or left out');
  if (o.kept !== undefined && !(o.kept instanceof Object && (o.kept as KeptRows).rowIds instanceof Set))
    throw new ArgumentError('estimateSweep: option kept must be what keptRows(spec) returns, or left out');
  if (options.model) checkGivenModel('estimateSweep', spec, options.model);
  options.signal?.throwIfAborted();
  // Read before the model loads, as the sweep reads them (a wrong file is told first).
  let reuse: { lines: string[]; offers: ReuseOffer[] } | undefined;
  if (options.reuse?.length) {
    const targetStore = options.targetStore ?? new TargetStore();
    reuse = await reuseResults(targetStore, options.reuse); // the plan's sharedRows says what it takes
    options = { ...options, targetStore };
  }
  const started = performance.now();
  // Over --devices, calibrated on the first: the workers run the same model on devices alike.
  const model = options.model ?? (await loadModel(spec.model, { device: firstDevice(spec), dtype: spec.dtype }));
  const loadSeconds = options.model ? 0 : seconds(started);
  try {
    return await estimateWith(model, spec, options, loadSeconds, started, reuse);
  } finally {
    if (!options.model) model.dispose();
  }
}

async function estimateWith(
  model: Model,
  spec: SweepSpec,
  options: EstimateOptions,
  loadSeconds: number,
  started: number,
  reuse?: { lines: string[]; offers: ReuseOffer[] },
): Promise<SweepEstimate> {
  const budget = options.calibrationSeconds ?? DEFAULT_CALIBRATION_SECONDS;
  const sampleSize = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  const V = model.info.vocabSize;
  checkSweepFits(spec, model, await tokensNotBanned(model));
  const plan = planSweep(spec, V, { fileTargetCount: targetFileCount });
  const kept = options.kept;
  if (kept) {
    const meta = sweepMetadata(spec, model);
    for (const f of kept.files) checkKeptFile(f, { ...meta, shard: f.shard });
    for (const f of kept.unreadable ?? [])
      refuseDamagedJournal(f.path, readFileSync(f.path), { ...meta, shard: f.shard });
  }
  // A resume runs what is left (rowsToRun: a deterministic one reruns a partly finished group whole),
  // less the rows an earlier sweep planned with the store runs alike (the sweep writes those).
  // Rows a resume keeps count as run for the next sweeps too (the study shares a finished file's rows).
  const unkept = new Set((kept ? rowsToRun(spec, plan.shardRows, kept.rowIds) : plan.shardRows).map((r) => r.rowId));
  const earlier = options.targetStore
    ? plannedRows(options.targetStore, spec, rowModel(model), plan, plan.shardRows)
    : new Set<string>();
  const sharedRows = new Set([...earlier].filter((id) => unkept.has(id)));
  const remaining = (rows: RowPlan[]) =>
    (kept ? rowsToRun(spec, rows, kept.rowIds) : rows).filter((r) => !sharedRows.has(r.rowId));
  const left = remaining(plan.shardRows);
  // What the run logs of its files, and why it takes none of their rows where it takes none.
  // (Where none is taken, `left` is every row still to run, as the run counts them before taking any.)
  const counts = { left: left.length, taken: sharedRows.size };
  const reuseNotes = reuse ? [...reuse.lines, ...whyNoneTaken(reuse.offers, spec, rowModel(model), counts)] : [];
  // Over --devices each device runs a shard of the rows at once: the sweep lasts as long as the
  // busiest one, which is what is priced (its rows, targets and head bounds).
  const split = deviceCount(spec);
  const busiest =
    split === 1
      ? left
      : Array.from({ length: split }, (_, index) =>
          remaining(rowsOfShard(spec, plan.rows, { index, count: split })),
        ).reduce((a, b) => (b.length > a.length ? b : a));
  const byMethod = rowsByMethod(busiest);
  const allByMethod = rowsByMethod(left);
  const samples = new Map([...byMethod].map(([label, rows]) => [label, spread(rows, sampleSize)]));

  // What the sweep makes and bounds for its rows (with the bound, whole groups of its solve).
  const used = busiest.map((r) => r.targetId);
  const inPlan = targetsToMake(plan.targets, used, spec.bound !== false, model.info.device);
  // (Called once: it counts the groups it leaves to this sweep as solved for the next plan.)
  const toSolve = spec.bound !== false ? boundTargetsToSolve(model, plan.targets, inPlan, options.targetStore) : [];
  // The sample's targets (and the lm targets their paired vanilla ones copy an entropy from), and
  // for the bound the ends of each entropy grid it solves.
  const sampleIds = [
    ...[...samples.values()].flat().map((r) => r.targetId),
    ...gridEnds(toSolve.map((i) => plan.targets[i])),
  ];
  const samplePlanIndex = targetsToMake(plan.targets, sampleIds, false, model.info.device);
  const sampleTargets = samplePlanIndex.map((i) => plan.targets[i]);
  // Less those an earlier sweep of the study makes (a TargetStore gives them back to the run).
  const shared = options.targetStore
    ? plannedCount(
        options.targetStore,
        inPlan.map((i) => plan.targets[i]),
        V,
        model.info.device,
      )
    : 0;
  const toMake = inPlan.length - shared;
  const perTarget = toMake / Math.max(1, sampleTargets.length);
  // An lm target, or one made alone (a paired vanilla target needs its lm target made with it).
  const alone = sampleTargets.filter((t) => !(t.kind === 'vanilla' && t.params.pairedWith !== undefined)).slice(0, 1);
  const { result: made, seconds: madeSeconds } = await scaledSeconds(
    () => synthesizePlans(model, alone),
    async () => (sampleTargets.length ? synthesizePlans(model, sampleTargets) : undefined),
    perTarget,
  );
  // The sample is made to calibrate on; a sweep whose targets all come from an earlier one pays none.
  const targetsSeconds = toMake > 0 ? madeSeconds : 0;
  const index = new Map(sampleTargets.map((t, i) => [t.targetId, i]));
  const uploaded = made
    ? await native().uploadTensor({ data: made.data, shape: [sampleTargets.length, V], device: model.info.device })
    : undefined;
  try {
    let boundSeconds = 0;
    if (uploaded && spec.bound !== false) {
      const { signal } = options;
      try {
        // Stopped by the signal, the plan is cut short here, as between methods below.
        boundSeconds = await boundPriceSeconds(
          model,
          {
            data: made!.data,
            ids: made!.meta.map((m) => m.id),
            planIndex: samplePlanIndex,
            grid: sampleTargets.map(entropyGridPoint),
          },
          toSolve,
          options.costs,
          signal,
        );
      } catch (e) {
        if (!signal?.aborted) throw e;
      }
    }
    const methods: MethodEstimate[] = [];
    for (const [label, rows] of byMethod) {
      if (options.signal?.aborted) break;
      const sample = samples.get(label)!.map((r) => ({ ...r, targetIndex: index.get(r.targetId)! }));
      const base: TuneBase = { targets: { targets: uploaded!, meta: made!.meta }, ...methodOptions(spec, rows[0]) };
      const m = await estimateMethod(model, spec, label, rows.length, sample, base, budget, options);
      methods.push({ ...m, rows: allByMethod.get(label)!.length });
    }
    options.signal?.throwIfAborted();
    const sum = (f: (m: MethodEstimate) => number) => methods.reduce((a, m) => a + f(m), 0);
    const setup = loadSeconds + targetsSeconds + boundSeconds;
    return {
      model: spec.model,
      device: model.info.device,
      dtype: model.info.dtype,
      output: spec.output,
      rows: left.length,
      devices: split,
      keptRows: kept ? plan.shardRows.filter((r) => kept.rowIds.has(r.rowId)).length : 0,
      mergedShards: kept?.mergedShards ?? 0,
      sharedRows: sharedRows.size,
      reuseNotes,
      targets: toMake,
      maxEpochs: spec.maxEpochs,
      worstRowEpochs: left.length * spec.maxEpochs,
      typicalRowEpochs: sum((m) => m.rows * m.sample.meanEpochs),
      setup: { loadSeconds, targetsSeconds, boundSeconds },
      methods,
      worstSeconds: setup + sum((m) => m.worstSeconds),
      typicalSeconds: setup + sum((m) => m.typicalSeconds),
      calibrationSeconds: seconds(started),
    };
  } finally {
    uploaded?.dispose();
  }
}

type TuneBase = Pick<TuneOptions, 'targets'> & MethodOptions;

async function estimateMethod(
  model: Model,
  spec: SweepSpec,
  label: string,
  rows: number,
  sample: Array<RowPlan & { targetIndex: number }>,
  base: TuneBase,
  budget: number,
  options: EstimateOptions,
): Promise<MethodEstimate> {
  const L = spec.prefixLength;
  const candidates = sample[0].candidates;
  const slots =
    spec.batchSize === 'auto' || spec.batchSize === undefined
      ? autoBatchSize(model.info, L, candidates, rows)
      : spec.deterministic
        ? spec.batchSize
        : Math.min(spec.batchSize, rows);
  const small = Math.max(1, Math.min(sample.length, Math.ceil(slots / 8)));
  // An epoch's seconds are a line in its active rows (fixed + perRow × rows), priced below `small`
  // by extending it: a line another sweep of the study measured for this method and prompt length
  // up to as many slots or more stands (the smoke study measured soft at L = 5 at 5 batch sizes).
  const line = `${model.info.identity}|${model.info.device}|${model.info.dtype}|${label}|${L}|${base.cudaGraph}|`;
  const key = `${line}${slots}|${small}`;
  let cost = options.costs?.get(key) ?? measuredLine(options.costs, line, slots);
  if (!cost) {
    // A quarter of the time to each of the two batch sizes, half to the sample.
    const at = async (b: number) => epochTime(model, base, sample, b, budget / 4);
    const big = await at(slots);
    const few = slots > small ? await at(small) : big;
    const perRow = slots > small ? Math.max(0, (big - few) / (slots - small)) : big / slots;
    cost = { fixedSeconds: Math.max(0, big - perRow * slots), perRowSeconds: perRow };
    options.costs?.set(key, cost);
  }
  const chunk = STUDY_DEFAULTS.chunkEpochs;
  const worst = batchedSeconds(new Array<number>(rows).fill(spec.maxEpochs), slots, chunk, cost);
  // The sample's stops price the typical case below the worst; a sweep whose worst case is a few
  // seconds is not worth more than a share of them (the smoke study's were 2 s of calibration
  // against 3–5 s of tuning).
  const stops = await sampleStops(base, model, sample, spec, Math.min(budget / 2, worst * STOPS_SHARE), options.signal);
  const typical = batchedSeconds(epochsFromSample(rows, stops.epochs, spec.maxEpochs), slots, chunk, cost);
  return {
    method: label,
    rows,
    rowsPerDevice: rows,
    batchSize: slots,
    epochCost: cost,
    rowEpochsPerSecond: slots / (cost.fixedSeconds + cost.perRowSeconds * slots),
    sample: {
      rows: stops.epochs.length,
      stopped: stops.stopped,
      meanEpochs: stops.epochs.reduce((a, e) => a + e, 0) / Math.max(1, stops.epochs.length),
    },
    worstSeconds: worst,
    typicalSeconds: typical,
  };
}

/** The share of a method's worst-case seconds its sample's stops may take, at most. */
const STOPS_SHARE = 1 / 8;

/**
 * An epoch's line `costs` holds for a key starting `line` (the method's, on this model), measured
 * at `slots` or more: the one measured nearest above.
 */
function measuredLine(costs: Map<string, EpochCost> | undefined, line: string, slots: number): EpochCost | undefined {
  let best: { slots: number; cost: EpochCost } | undefined;
  for (const [key, cost] of costs ?? []) {
    if (!key.startsWith(line)) continue;
    const measured = Number(key.slice(line.length).split('|')[0]);
    if (measured >= slots && (!best || measured < best.slots)) best = { slots: measured, cost };
  }
  return best?.cost;
}

/** b rows cycling over the sample's targets, each with its own id and seed. */
function calibrationRows(sample: ReadonlyArray<RowPlan & { targetIndex: number }>, b: number): TuneRow[] {
  return Array.from({ length: b }, (_, i) => {
    const r = sample[i % sample.length];
    return { targetIndex: r.targetIndex, initId: i, rowId: `calibration:${i}`, seed: r.seed + i };
  });
}

/**
 * Seconds of one epoch at b rows, as a sweep pays it. Two calls of one epoch (patience = budget =
 * the call's epochs and stalled rows run on, so no row stops early; the first a warm-up at this
 * shape) size a long call of k more epochs, about `share` seconds, in chunks of the sweep's own
 * chunkEpochs (so each native call's overhead is paid per chunk, as in the sweep); the chunks are
 * timed one by one (chunkedEpochSeconds). A long call too short for three chunks is priced marginally instead,
 * (t2 − t1) / k, t1 the lesser of the two short calls: that cancels what every call pays once.
 */
async function epochTime(
  model: Model,
  base: TuneBase,
  sample: ReadonlyArray<RowPlan & { targetIndex: number }>,
  b: number,
  share: number,
): Promise<number> {
  const rows = calibrationRows(sample, b);
  const sweepChunk = STUDY_DEFAULTS.chunkEpochs;
  const run = async (epochs: number, chunkEpochs = epochs) => {
    const ends: number[] = [];
    const t0 = performance.now();
    const call = tune(model, {
      ...base,
      rows,
      maxEpochs: epochs,
      patience: epochs,
      chunkEpochs,
      batchSize: b,
      ban: 'none',
      stopStalled: false, // the cost of an epoch: every row runs them all
    });
    call.on('progress', () => ends.push(performance.now()));
    await call;
    return { seconds: seconds(t0), chunks: ends.map((t, i) => (t - (i === 0 ? t0 : ends[i - 1])) / 1000) };
  };
  // Both calls are one epoch at this shape: the least of them is t1. A pause in the second (a
  // loaded machine) raised t1 to the whole of t2 once, pricing an epoch at a tenth of its time;
  // a warm-up that paid a first call's costs is the greater, and is passed over.
  const t1 = Math.min((await run(1)).seconds, (await run(1)).seconds);
  const k = Math.max(2, Math.min(200, Math.round(share / 2 / Math.max(t1, 1e-4))));
  // Timed in five chunks or more, so that the median passes over a pause; each of the sweep's
  // chunkEpochs where k has room for that (the per-call overhead counted as the sweep pays it),
  // else shorter: k is small only where an epoch is slow, and beside it the overhead is little.
  const chunk = Math.min(sweepChunk, Math.max(1, Math.floor((1 + k) / 5)));
  const chunks = Math.floor((1 + k) / chunk);
  const inChunks = chunks >= 3;
  const epochs = inChunks ? chunks * chunk : 1 + k;
  const long = await run(epochs, inChunks ? chunk : epochs);
  const chunked = inChunks ? chunkedEpochSeconds(long.chunks, chunk) : undefined;
  if (chunked !== undefined) return chunked;
  // Noise can make t2 ≤ t1 on a busy machine: then the slower, whole-call figure stands.
  const t2 = long.seconds;
  return t2 > t1 ? (t2 - t1) / (epochs - 1) : t2 / epochs;
}

/**
 * The sample's rows with the sweep's budget and patience, cut off after `limit` seconds: the
 * epochs of the rows that stopped; a row cut off at epoch e with its best at b stops at
 * max(e, b + patience) at the earliest and at the budget at the latest, and counts halfway.
 */
async function sampleStops(
  base: TuneBase,
  model: Model,
  sample: ReadonlyArray<RowPlan & { targetIndex: number }>,
  spec: SweepSpec,
  limit: number,
  signal?: AbortSignal,
): Promise<{ epochs: number[]; stopped: number }> {
  const cut = new AbortController();
  const timer = setTimeout(() => cut.abort(), Math.max(0.1, limit) * 1000);
  try {
    const records = await tune(model, {
      ...base,
      rows: sample.map((r) => ({ targetIndex: r.targetIndex, initId: r.initId, rowId: r.rowId, seed: r.seed })),
      maxEpochs: spec.maxEpochs,
      patience: spec.patience,
      batchSize: sample.length,
      signal: signal ? AbortSignal.any([signal, cut.signal]) : cut.signal,
    });
    const stopped = records.filter((r) => r.stopReason !== 'aborted');
    return {
      epochs: records.map((r) =>
        r.stopReason === 'aborted' ? cutOffEpochs(r.epochs, r.bestEpoch, spec.patience, spec.maxEpochs) : r.epochs,
      ),
      stopped: stopped.length,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A row cut off at `epochs` with its best at `best`: halfway between its earliest stop and its budget. */
export function cutOffEpochs(epochs: number, best: number, patience: number, budget: number): number {
  const earliest = Math.min(budget, Math.max(epochs, best + patience));
  return (earliest + budget) / 2;
}
