// How fast tune() runs, measured so that fixed per-call costs do not hide the steady state:
// the same rows are tuned for E1 and for E2 > E1 epochs (patience = maxEpochs = chunkEpochs,
// so every row runs exactly that many steps in one native call), and the MARGINAL rate is
//   rows · (E2 − E1) / (t2 − t1)
// which cancels what every call pays once (target upload, tuner and buffer setup, harvest).
// E2 grows (×4) until t2 − t1 is at least minDeltaSeconds, so that timer and scheduling noise
// cannot swamp the difference on small models; with reps > 1 the (E1, E2) pair is timed again,
// interleaved, and each takes its fastest time (on a shared machine, the least disturbed).
// The end-to-end rate of the longer call is reported beside it: what a short sweep sees.
// Not a benchmark of its own: every suite that reports row-steps/s uses it.
import type { Model } from '../lib/model/model.js';
import { tune, type TuneOptions } from '../lib/tune/index.js';
import { flopsPerRowStep } from '../lib/tune/flops.js';
import { memoryProbe, type Yardstick } from './common.js';
import type { FlagTable } from './flags.js';

/** The flags of measureRate's options, for the scripts that read them (tune, scaling, graph, batch); --epochs is each script's. */
export const RATE_FLAGS = {
  '--extra-epochs': {
    takes: 'number',
    default: 8,
    quick: 3,
    about: 'E2 − E1 to start from (it grows until --min-delta-s)',
  },
  '--min-delta-s': { takes: 'number', default: 1, quick: 0.25, about: 'the least t2 − t1, seconds' },
  '--reps': {
    takes: 'number',
    default: 2,
    quick: 1,
    about: 'times the (E1, E2) pair is timed; each keeps its fastest',
  },
} as const satisfies FlagTable;

/** Distinct, valid targets: a softmax of a per-row ramp (the numbers, not the target, matter here). */
export function rampTargets(rows: number, vocab: number): Float32Array {
  const t = new Float32Array(rows * vocab);
  for (let r = 0; r < Math.min(rows, 97); r++) {
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += t[r * vocab + v] = Math.exp(((v * (r + 1)) % 97) / 30);
    for (let v = 0; v < vocab; v++) t[r * vocab + v] /= sum;
  }
  // Row r repeats row r − 97 (the ramp is taken mod 97): copy instead of recomputing, which
  // matters at 4096 rows × 128256 tokens.
  for (let r = 97; r < rows; r++) t.copyWithin(r * vocab, (r - 97) * vocab, (r - 96) * vocab);
  return t;
}

export interface RatePoint {
  rows: number;
  batchSize: number;
  positions: number;
  epochs: [number, number];
  seconds: [number, number];
  reps: number;
  /** rows·(E2−E1)/(t2−t1) (row-epochs of the method run); null when t2 ≤ t1 (noise swamped the difference: rerun with more epochs) */
  marginalRowStepsPerSecond: number | null;
  /** rows·E2/t2 */
  endToEndRowStepsPerSecond: number;
  flopsPerRowStep: number;
  /** marginal rate × FLOPs per row-step */
  achievedGflops: number | null;
  /** achievedGflops / the yardstick's best matmul */
  fractionOfMatmul: number | null;
  /** (peak during the E2 call − allocated before it) / batch size */
  memoryPerRowBytes: number;
  /** e.g. the tuner halving the batch after running out of memory */
  warnings: string[];
}

export interface RateOptions {
  rows: number;
  batchSize: number;
  positions: number;
  /** E1; E2 = E1 + extraEpochs at least */
  epochs: number;
  extraEpochs: number;
  /** least t2 − t1 to accept (default 0.5 s); E2 grows until it is reached or 1000 extra epochs */
  minDeltaSeconds?: number;
  /** timings of each of E1 and E2 (default 1); the fastest counts */
  reps?: number;
  /** precomputed targets (rows × vocab); default rampTargets */
  targets?: Float32Array;
  /** more tune() options, e.g. { cudaGraph: true } or another method (default soft) */
  tune?: Partial<TuneOptions>;
  /** FLOPs of one row-epoch of that method (default: a soft row-step, flopsPerRowStep) */
  flopsPerRowEpoch?: number;
}

export async function measureRate(model: Model, o: RateOptions, yard: Yardstick): Promise<RatePoint> {
  const targets = o.targets ?? rampTargets(o.rows, model.info.vocabSize);
  const warnings: string[] = [];
  const run = async (epochs: number) => {
    const r = tune(model, {
      method: 'soft',
      ...o.tune,
      targets,
      prefixLength: o.positions,
      inits: 1,
      maxEpochs: epochs,
      patience: epochs,
      chunkEpochs: epochs,
      batchSize: o.batchSize,
      ban: 'none',
      stopStalled: false, // every row runs exactly `epochs` epochs, a stalled hard row too
    });
    r.on('warning', (w: string) => warnings.push(w));
    const t0 = performance.now();
    await r;
    return (performance.now() - t0) / 1000;
  };
  // Warm-up at this very batch size: the first call at a new shape pays for fresh pages and
  // lazy initialisation, which would inflate t1 and so flatter the marginal rate.
  await run(1);
  const e1 = o.epochs;
  let t1 = await run(e1);
  const minDelta = o.minDeltaSeconds ?? 0.5;
  const mem = memoryProbe(model.info.device);
  let extra = o.extraEpochs;
  let e2: number, t2: number, memoryPerRowBytes: number;
  for (;;) {
    e2 = e1 + extra;
    const before = mem.allocated();
    mem.resetPeak();
    t2 = await run(e2);
    memoryPerRowBytes = Math.max(0, mem.peak() - before) / o.batchSize;
    if (t2 - t1 >= minDelta || extra >= 1000) break;
    // Too short to trust: aim for twice the minimum at the rate just seen, at least ×4 more epochs.
    const perEpoch = t2 > t1 ? (t2 - t1) / extra : t2 / e2;
    extra = Math.min(1000, Math.max(extra * 4, Math.ceil((2 * minDelta) / perEpoch)));
  }
  for (let i = 1; i < (o.reps ?? 1); i++) {
    t1 = Math.min(t1, await run(e1));
    t2 = Math.min(t2, await run(e2));
  }
  const flops = o.flopsPerRowEpoch ?? flopsPerRowStep(model.info, o.positions);
  const marginal = t2 > t1 ? (o.rows * (e2 - e1)) / (t2 - t1) : null;
  const achieved = marginal === null ? null : (marginal * flops) / 1e9;
  return {
    rows: o.rows,
    batchSize: o.batchSize,
    positions: o.positions,
    epochs: [e1, e2],
    seconds: [t1, t2],
    reps: o.reps ?? 1,
    marginalRowStepsPerSecond: marginal,
    endToEndRowStepsPerSecond: (o.rows * e2) / t2,
    flopsPerRowStep: flops,
    achievedGflops: achieved,
    fractionOfMatmul: achieved === null ? null : achieved / yard.bestGflops,
    memoryPerRowBytes,
    warnings,
  };
}

/** Seconds a measureRate call would take, from a rate measured at a smaller point (for stop rules). */
export function predictSeconds(
  o: Pick<RateOptions, 'rows' | 'epochs' | 'extraEpochs' | 'reps'>,
  rowStepsPerSecond: number,
): number {
  return (o.rows * (1 + (o.reps ?? 1) * (2 * o.epochs + o.extraEpochs))) / rowStepsPerSecond;
}

export const fmt = (v: number | null, digits = 1) => (v === null ? '–' : v.toFixed(digits));
export const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
