// The plan's price of the head bound. The sweep solves whole groups of its plan (lib/bound/groups.ts)
// in one call each, and the plan is ordered by entropy, so a group holds targets alike: the
// low-entropy ones cost the solver several times more passes (random:micro: a group of 64 targets
// at 0–0.6 bits 0.22–0.32 s, one at 9.3–9.9 bits 0.04–0.06 s), and an outlier target's sphere
// search on random:demo costs 20–40 times a vanilla target's. A pass over the head costs a part
// that does not grow with its rows (reading the head: on random:demo about what 5–8 rows add)
// and a part per row, and a group's targets move in step: it makes about as many passes as its
// longest target and holds the rows of all. Timing each sample target alone and in copies of
// itself, as before, charged a pass's fixed part per target (and a copy's own longer search, its
// random starts being other draws): the smoke outliers sweep's bound on random:demo was priced
// 2.3–3.3× over.
import { headBoundSolve } from '../bound/head-bound.js';
import { autoBoundBatch, boundGroupOf, type BoundOptions } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { TargetPlan } from '../targets/index.js';
import { epochSeconds, type EpochCost } from './estimate-batching.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** Iterations of the ball search that time a pass's part per row. */
const PASS_ITERATIONS = 5;

/** The plan's sample targets for the bound: rows × vocab, each one's id and index in the plan. */
export interface BoundSample {
  data: Float32Array;
  ids: readonly string[];
  planIndex: readonly number[];
  /** each one's point on an entropy grid (entropyGridPoint), where it has one */
  grid?: readonly (GridPoint | undefined)[];
}

/** A target made on an entropy grid: its kind and the settings it is made with, and its bits. */
export interface GridPoint {
  family: string;
  bits: number;
}

/**
 * How far in entropy a target measured for another sweep of the study stands for a sample target
 * of its family: the smoke study's vanilla grids step 1 to 3 bits, and passes move with entropy
 * less than they vary between two draws at the same bits (the smoke outliers sweep's vanilla
 * targets at 8 bits: 244 and 350 passes, at 5 bits: 101).
 */
const NEAR_BITS = 1;

/** A target's point on an entropy grid: vanilla targets of a grid (not an lm target's pair) and outliers. */
export function entropyGridPoint(t: TargetPlan): GridPoint | undefined {
  if (t.kind === 'vanilla' && t.params.pairedWith === undefined)
    return { family: `vanilla|${t.params.method}|${t.params.eps ?? ''}`, bits: t.params.entropyBits };
  if (t.kind === 'outlier')
    return { family: `outlier|${t.params.outliers}|${t.params.eps ?? ''}`, bits: t.params.entropyBits };
  return undefined;
}

/**
 * The ids of the targets at each end of every entropy grid among `targets` (its least and most
 * bits, per family): a group is priced by the sample target nearest in plan order, and a spread
 * sample misses the ends, where passes change fastest (random:micro's 0-bit end was priced at
 * about half, by a target at 0.62 bits).
 */
export function gridEnds(targets: readonly TargetPlan[]): string[] {
  const ends = new Map<string, { low: TargetPlan; lowBits: number; high: TargetPlan; highBits: number }>();
  for (const t of targets) {
    const p = entropyGridPoint(t);
    if (!p) continue;
    const e = ends.get(p.family);
    if (!e) ends.set(p.family, { low: t, lowBits: p.bits, high: t, highBits: p.bits });
    else if (p.bits < e.lowBits) Object.assign(e, { low: t, lowBits: p.bits });
    else if (p.bits > e.highBits) Object.assign(e, { high: t, highBits: p.bits });
  }
  return [...ends.values()].flatMap((e) => [e.low.targetId, e.high.targetId]);
}

/**
 * For each group of the sweep's solve (its targets `sweepPlanIndex`, ascending plan indices), how
 * many of its targets each sample target stands for: the sample target nearest in plan order
 * (on a tie the earlier one, the lower entropy). Plan order is entropy order within a spec entry,
 * so a group is priced by the sample targets among or beside its own.
 */
export function boundProxies(
  samplePlanIndex: readonly number[],
  sweepPlanIndex: readonly number[],
  device: string,
): number[][] {
  const order = samplePlanIndex.map((p, s) => [p, s] as const).sort((a, b) => a[0] - b[0]);
  const batch = autoBoundBatch(device);
  const groups = new Map<number, number[]>();
  let j = 0;
  for (const i of sweepPlanIndex) {
    while (j + 1 < order.length && Math.abs(order[j + 1][0] - i) < Math.abs(order[j][0] - i)) j++;
    const g = boundGroupOf(i, batch);
    if (!groups.has(g)) groups.set(g, new Array<number>(samplePlanIndex.length).fill(0));
    groups.get(g)![order[j][1]]++;
  }
  return [...groups.values()];
}

/**
 * Seconds of the sweep's head bound over its targets `sweepPlanIndex` (plan indices, ascending),
 * from the plan's sample. The sample targets are solved once, together in groups of the sweep's
 * size, and the solver counts each one's passes over W and its rows in them. A pass's part per
 * row is timed on one target's copies stopped after a few iterations; what the rows leave of the
 * sample's seconds is its passes' part. So a sample target's fixed part is its passes at that
 * part per pass, and its own part its rows at the part per row. `costs` (the epoch costs' map)
 * keeps them by model, device, dtype and target: a study's sweeps share it.
 */
export async function boundPriceSeconds(
  model: Model,
  sample: BoundSample,
  sweepPlanIndex: readonly number[],
  costs: Map<string, EpochCost> = new Map(),
  signal?: AbortSignal,
): Promise<number> {
  const count = sample.ids.length;
  if (sweepPlanIndex.length === 0 || count === 0) return 0;
  const proxies = boundProxies(sample.planIndex, sweepPlanIndex, model.info.device);
  const V = model.info.vocabSize;
  const batch = autoBoundBatch(model.info.device);
  const key = (s: number) =>
    `${model.info.identity}|${model.info.device}|${model.info.dtype}|head bound|${sample.ids[s]}`;
  // A sample target of a grid is priced by its family's target measured nearest in entropy (within
  // NEAR_BITS), where a study's earlier sweep measured one: the smoke study plans four vanilla
  // grids on one model, and each solved its own sample again.
  const gridKey = (p: GridPoint) =>
    `${model.info.identity}|${model.info.device}|${model.info.dtype}|head bound grid|${p.family}|`;
  const nearest = (p: GridPoint | undefined) => {
    let best: { distance: number; cost: EpochCost } | undefined;
    if (p)
      for (const [k, cost] of costs) {
        if (!k.startsWith(gridKey(p))) continue;
        const distance = Math.abs(Number(k.slice(gridKey(p).length)) - p.bits);
        if (distance <= NEAR_BITS && (!best || distance < best.distance)) best = { distance, cost };
      }
    return best?.cost;
  };
  sample.ids.forEach((_, s) => {
    const near = costs.has(key(s)) ? undefined : nearest(sample.grid?.[s]);
    if (near) costs.set(key(s), near);
  });
  const missing = sample.ids.map((_, s) => s).filter((s) => !costs.has(key(s)));
  // One draw at each grid point is solved, and stands for the others there.
  const point = (s: number) => {
    const p = sample.grid?.[s];
    return p && gridKey(p) + p.bits;
  };
  const solved = missing.filter(
    (s, i) => point(s) === undefined || missing.findIndex((o) => point(o) === point(s)) === i,
  );
  const rowsOf = (targets: readonly number[]) => {
    const data = new Float32Array(targets.length * V);
    targets.forEach((s, i) => data.set(sample.data.subarray(s * V, (s + 1) * V), i * V));
    return data;
  };
  const solve = async (data: Float32Array, options: BoundOptions = {}) => {
    const t0 = performance.now();
    const r = await headBoundSolve(model, data, {
      ...options,
      groups: new Array<number>(data.length / V).fill(0),
      signal,
    });
    return { seconds: seconds(t0), rows: r.passRows.reduce((a, n) => a + n, 0), r };
  };
  // A pass's part per row, and what a first solve pays once, are the model's (on its device and
  // dtype), not a target's: timed by the first sweep of a study that solves a sample, and charged
  // to it alone (its fixedSeconds is that first call's, its perRowSeconds a pass's per row).
  const passKey = `${model.info.identity}|${model.info.device}|${model.info.dtype}|head bound pass`;
  let pass = costs.get(passKey);
  let first = 0;
  if (solved.length > 0) {
    if (!pass) {
      // The part of a pass per row: one target's ball search stopped after a few iterations, on one
      // copy and on a group's worth (copies move together, so both make the same passes). The least
      // of up to three runs while they take under half a second in all: a busy machine's pauses
      // would swamp one short run. The first call pays what later ones do not, counted once.
      const few: BoundOptions = { maxIterations: PASS_ITERATIONS, sphere: false, bottleneck: false };
      const timed = async (data: Float32Array) => {
        let least = Infinity;
        let rows = 0;
        for (let runs = 0, spent = 0; runs < 3 && spent < 0.5; runs++) {
          const t = await solve(data, few);
          least = Math.min(least, t.seconds);
          rows = t.rows;
          spent += t.seconds;
        }
        return { seconds: least, rows };
      };
      const one = rowsOf([solved[0]]);
      const cold = (await solve(one, few)).seconds;
      const small = await timed(one);
      const big = await timed(rowsOf(new Array<number>(batch).fill(solved[0])));
      pass = {
        fixedSeconds: Math.max(0, cold - small.seconds),
        perRowSeconds: Math.max(0, (big.seconds - small.seconds) / Math.max(1, big.rows - small.rows)),
      };
      costs.set(passKey, pass);
      first = pass.fixedSeconds;
    }
    const perRow = pass.perRowSeconds;
    // The sample's own solve, in groups of the sweep's size: what its rows leave of a group's
    // seconds is its passes', and it makes about as many as its longest target does (a slower
    // target's passes carry the others' rows), so that share is spread over the longest one's.
    for (let from = 0; from < solved.length; from += batch) {
      const targets = solved.slice(from, from + batch);
      const { seconds: took, rows, r } = await solve(rowsOf(targets));
      const perPass = Math.max(0, took - perRow * rows) / Math.max(1, ...r.passes);
      targets.forEach((s, i) => {
        const cost = { fixedSeconds: perPass * r.passes[i], perRowSeconds: perRow * r.passRows[i] };
        costs.set(key(s), cost);
        // Of two draws at one grid point, the slower stands for the family there.
        const p = sample.grid?.[s];
        if (!p) return;
        const at = costs.get(gridKey(p) + p.bits);
        if (!at || epochSeconds(at, 1) < epochSeconds(cost, 1)) costs.set(gridKey(p) + p.bits, cost);
      });
    }
  }
  for (const s of missing) if (!costs.has(key(s))) costs.set(key(s), costs.get(point(s)!)!);
  const cost = sample.ids.map((_, s) => costs.get(key(s))!);
  // A group lasts its longest target's passes and each of its targets' rows.
  const groups = proxies.map(
    (g) =>
      Math.max(...g.map((n, s) => (n > 0 ? cost[s].fixedSeconds : 0))) +
      g.reduce((a, n, s) => a + n * cost[s].perRowSeconds, 0),
  );
  return first + groups.reduce((a, b) => a + b, 0);
}
