// The plan's price of the head bound. The sweep solves whole groups of its plan (lib/bound/groups.ts)
// in one call each, and the plan is ordered by entropy, so a group holds targets alike: the
// low-entropy ones cost the solver several times more passes (random:micro: a group of 64 targets
// at 0–0.6 bits 0.22–0.32 s, one at 9.3–9.9 bits 0.04–0.06 s), and an outlier target's sphere
// search on random:demo costs 20–40 times a vanilla target's. A group's seconds are about a fixed
// part plus a part per target (a mixed group of 32 slow and 32 fast targets took what the two
// halves took apart), so each sample target is timed in a group of its own copies, and each group
// of the sweep is priced by the sample targets nearest its own targets in plan order. Timing one
// group cycled from the sample, as before, priced every group at the sample's slowest targets and
// missed a kind the sample held few of. A first call pays what later ones do not: one target is
// solved first and counted once.
import { autoBoundBatch, boundGroupOf, headBound } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { EpochCost } from './estimate-batching.js';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** The plan's sample targets for the bound: rows × vocab, each one's id and index in the plan. */
export interface BoundSample {
  data: Float32Array;
  ids: readonly string[];
  planIndex: readonly number[];
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
 * from the plan's sample. Each sample target is solved alone and in a group of k copies (k about
 * the largest group's size over the sample's size, at least 2, so the timing solves about one
 * group's worth of rows and one more per sample target): its fixed and per-target seconds.
 * `costs` (the epoch costs' map) keeps them by model, device, dtype, target and k: a study's
 * sweeps share it.
 */
export async function boundPriceSeconds(
  model: Model,
  sample: BoundSample,
  sweepPlanIndex: readonly number[],
  costs?: Map<string, EpochCost>,
  signal?: AbortSignal,
): Promise<number> {
  const count = sample.ids.length;
  if (sweepPlanIndex.length === 0 || count === 0) return 0;
  const proxies = boundProxies(sample.planIndex, sweepPlanIndex, model.info.device);
  const largest = Math.max(...proxies.map((g) => g.reduce((a, n) => a + n, 0)));
  const k = Math.max(2, Math.round(largest / count));
  const V = model.info.vocabSize;
  const key = (s: number) =>
    `${model.info.identity}|${model.info.device}|${model.info.dtype}|head bound|${sample.ids[s]}|${k}`;
  // The least of up to three solves while they take under a tenth of a second in all: on a small
  // head a solve is a few milliseconds, which a busy machine's pauses would swamp.
  const solve = async (s: number, n: number) => {
    const data = new Float32Array(n * V);
    for (let i = 0; i < n; i++) data.set(sample.data.subarray(s * V, (s + 1) * V), i * V);
    const t0 = performance.now();
    await headBound(model, data, { groups: new Array<number>(n).fill(0), signal });
    return seconds(t0);
  };
  const timed = async (s: number, n: number) => {
    let least = Infinity;
    for (let runs = 0, spent = 0; runs < 3 && spent < 0.1; runs++) {
      const t = await solve(s, n);
      least = Math.min(least, t);
      spent += t;
    }
    return least;
  };
  let first = 0;
  let warm = false;
  const cost: EpochCost[] = [];
  for (let s = 0; s < count; s++) {
    let c = costs?.get(key(s));
    if (!c) {
      if (!warm) first = await solve(s, 1);
      warm = true;
      // One copy alone and k together: what a group pays once (its passes' fixed costs, which
      // grow with the target's passes) and what each target adds.
      const one = await timed(s, 1);
      const row = Math.max(0, ((await timed(s, k)) - one) / (k - 1));
      c = { fixedSeconds: Math.max(0, one - row), perRowSeconds: row };
      costs?.set(key(s), c);
    }
    cost.push(c);
  }
  // A group lasts its slowest target's fixed part (every pass until that target is done) and each
  // of its targets' part.
  const groups = proxies.map(
    (g) =>
      Math.max(...g.map((n, s) => (n > 0 ? cost[s].fixedSeconds : 0))) +
      g.reduce((a, n, s) => a + n * cost[s].perRowSeconds, 0),
  );
  return first + groups.reduce((a, b) => a + b, 0);
}
