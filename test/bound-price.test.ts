// The plan's price of the head bound (lib/run/estimate-bound.ts): which sample target stands for
// which targets of each group of the sweep's solve, the passes over the head the solver counts per
// target, and the price built from each sample target's passes and rows, on a real model. No
// timed assertion: the timings' ratios against real sweeps are in bench/RESULTS.md
// (bench/bound-plan.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { headBoundSolve } from '../lib/bound/head-bound.js';
import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import type { EpochCost } from '../lib/run/estimate-batching.js';
import { boundPriceSeconds, boundProxies } from '../lib/run/estimate-bound.js';
import { noisyTarget } from './helpers/bound-heads.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("the sample targets that price each group of the sweep's bound", () => {
  it('gives each target of a group the sample target nearest in plan order, the earlier on a tie', () => {
    // Sample targets at plan indices 100, 10, 200 (in the sample's order); 256 targets in groups of 64.
    expect(boundProxies([100, 10, 200], range(0, 256), 'cpu')).toEqual([
      [8, 56, 0], // 0..55 nearer 10 (55 a tie), 56..63 nearer 100
      [64, 0, 0],
      [23, 0, 41], // 128..150 nearer 100 (150 a tie), 151..191 nearer 200
      [0, 0, 64],
    ]);
  });

  it("prices the slow low-entropy end by its own sample target, not by the sample's mean or slowest", () => {
    // Spread over 1024 targets, the sample's first target lies at plan index 64: the sweep's first
    // group (its lowest entropies, the slowest targets) is priced by it alone, and a later one
    // only where it is the nearest.
    const sample = [64, 192, 320, 448, 576, 704, 832, 960];
    const groups = boundProxies(sample, range(0, 1024), 'cpu');
    expect(groups).toHaveLength(16);
    expect(groups[0]).toEqual([64, 0, 0, 0, 0, 0, 0, 0]);
    // it stands for plan indices 0..128 (128 a tie): the first two groups and one target of the third
    expect(groups.map((g) => g[0])).toEqual([64, 64, 1, ...new Array<number>(13).fill(0)]);
    for (const g of groups) expect(g.reduce((a, n) => a + n, 0)).toBe(64);
  });

  it("follows the sweep's groups: a resume's or a shard's targets, and a GPU's groups of 256", () => {
    expect(boundProxies([10, 100], range(64, 128), 'cpu')).toEqual([[0, 64]]);
    expect(boundProxies([10, 100], range(0, 300), 'cuda')).toEqual([
      [56, 200],
      [0, 44],
    ]);
  });
});

describe("the head bound's price on random:micro", () => {
  it("times each sample target once, keeps its seconds in the shared map, and prices each group by its targets' nearest sample targets", async () => {
    const model = await loadModel('random:micro', { tokenizer: false });
    try {
      const V = model.info.vocabSize;
      const data = new Float32Array(3 * V);
      for (let r = 0; r < 3; r++) {
        const row = data.subarray(r * V, (r + 1) * V);
        for (let v = 0; v < V; v++) row[v] = Math.exp(-((v * (r + 1)) % 7));
        const sum = row.reduce((a, x) => a + x, 0);
        row.forEach((x, i) => (row[i] = x / sum));
      }
      const sample = { data, ids: ['a', 'b', 'c'], planIndex: [20, 90, 160] };
      const sweep = range(0, 150);
      const costs = new Map<string, EpochCost>();
      const first = await boundPriceSeconds(model, sample, sweep, costs);
      const key = (id: string) => `${model.info.identity}|cpu|float32|head bound|${id}`;
      // each sample target's, and the model's part of a pass per row (timed once)
      expect([...costs.keys()]).toEqual([
        `${model.info.identity}|cpu|float32|head bound pass`,
        ...['a', 'b', 'c'].map(key),
      ]);
      const [a, b, c] = ['a', 'b', 'c'].map((id) => costs.get(key(id))!);
      // groups 0..63, 64..127, 128..149: 20's share 0..55, 90's 56..125, 160's 126..149
      // each group: its longest sample target's passes and each target's rows
      const priced =
        Math.max(a.fixedSeconds, b.fixedSeconds) +
        Math.max(b.fixedSeconds, c.fixedSeconds) +
        c.fixedSeconds +
        56 * a.perRowSeconds +
        70 * b.perRowSeconds +
        24 * c.perRowSeconds;
      // what the first call pays more than later ones (counted once) on top
      expect(first).toBeGreaterThanOrEqual(priced);
      // Measured already: priced from the map alone (a signal already aborted would stop any solve).
      const stopped = AbortSignal.abort();
      expect(await boundPriceSeconds(model, sample, sweep, costs, stopped)).toBeCloseTo(priced, 12);
      expect(await boundPriceSeconds(model, sample, [], costs, stopped)).toBe(0);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('charges a group by the sample targets it holds: a slow one prices its own group, not every group', async () => {
    const model = await loadModel('random:micro', { tokenizer: false });
    try {
      const V = model.info.vocabSize;
      // Seconds already in the map (as an earlier sweep of a study left them): no solve runs.
      const costs = new Map<string, EpochCost>();
      const key = (id: string) => `${model.info.identity}|cpu|float32|head bound|${id}`;
      costs.set(key('slow'), { fixedSeconds: 1, perRowSeconds: 0.5 });
      costs.set(key('fast'), { fixedSeconds: 1, perRowSeconds: 0.01 });
      const sample = { data: new Float32Array(2 * V), ids: ['slow', 'fast'], planIndex: [0, 200] };
      // 1024 targets, 16 groups of 64: 0..100 nearer the slow one (100 a tie), 101..1023 the fast one.
      const price = await boundPriceSeconds(model, sample, range(0, 1024), costs, AbortSignal.abort());
      expect(price).toBeCloseTo(16 * 1 + 101 * 0.5 + 923 * 0.01, 9);
      // One group cycled from the sample (32 slow, 32 fast), charged to every group, would be
      // 16 × (1 + 32 × 0.5 + 32 × 0.01) = 277 s at these seconds: the slow end priced 16 times.
      expect(price).toBeLessThan(0.5 * 16 * (1 + 32 * 0.5 + 32 * 0.01));
    } finally {
      model.dispose();
    }
  });
});

// Three targets unlike each other (their searches run different lengths), rows × vocab.
function mixedTargets(V: number): Float32Array {
  const data = new Float32Array(3 * V);
  [noisyTarget(V, 0.3, 1), noisyTarget(V, 3, 2), noisyTarget(V, 0.3, 3, 0.6)].forEach((t, i) => data.set(t, i * V));
  return data;
}

interface TracedGroup {
  targets: number;
  parts: Record<string, { valueRows: number; gradientRows: number }>;
}

describe('the passes over the head a solve makes, per target, on random:micro', () => {
  let model: Model;
  let dir: string;
  let file: string;
  const traced = (): TracedGroup[] =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TracedGroup);
  beforeEach(async () => {
    model = await loadModel('random:micro', { tokenizer: false });
    dir = mkdtempSync(join(tmpdir(), 'bound-price-'));
    file = join(dir, 'trace.jsonl');
    process.env.DISTPROMPT_BOUND_TRACE = file;
  });
  afterEach(() => {
    delete process.env.DISTPROMPT_BOUND_TRACE;
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  });

  it("counts each target's rows and passes: its rows add up to the solver's own account, its passes to at most its group's", async () => {
    const V = model.info.vocabSize;
    const r = await headBoundSolve(model, mixedTargets(V), { groups: [0, 0, 0] });
    const [g] = traced();
    const rows = Object.values(g.parts).reduce((a, p) => a + p.valueRows + p.gradientRows, 0);
    expect([...r.passRows].reduce((a, n) => a + n, 0)).toBe(rows);
    expect(new Set(r.groupPasses).size).toBe(1);
    // The group makes at least its longest target's passes, and the targets' searches differ.
    expect(Math.max(...r.passes)).toBeLessThanOrEqual(r.groupPasses[0]);
    expect(new Set(r.passes).size).toBeGreaterThan(1);
    // At least a value and a gradient per iteration of the ball search.
    for (let i = 0; i < 3; i++) expect(r.passes[i]).toBeGreaterThanOrEqual(2 * r.iterations[i]);
    // Copies of one target move together: each is in every pass of its group, one row at a time.
    const copies = new Float32Array(4 * V);
    for (let i = 0; i < 4; i++) copies.set(mixedTargets(V).subarray(0, V), i * V);
    const c = await headBoundSolve(model, copies, { groups: [0, 0, 0, 0], sphere: false, bottleneck: false });
    expect([...c.passes]).toEqual([...c.groupPasses]);
    expect([...c.passRows]).toEqual([...c.passes]);
  });

  it("solves the plan's sample once, as one group, and prices each sample target by its passes and rows", async () => {
    const V = model.info.vocabSize;
    const data = mixedTargets(V);
    const costs = new Map<string, EpochCost>();
    await boundPriceSeconds(model, { data, ids: ['a', 'b', 'c'], planIndex: [0, 1, 2] }, [0, 1, 2], costs);
    // Every solve but the sample's own is a few iterations of the ball alone (timing a pass).
    const full = traced().filter((g) => 'bottleneck' in g.parts);
    expect(full.map((g) => g.targets)).toEqual([3]);
    // The same group again: the solver makes the same passes.
    const r = await headBoundSolve(model, data, { groups: [0, 0, 0] });
    const key = (id: string) => `${model.info.identity}|cpu|float32|head bound|${id}`;
    const cost = ['a', 'b', 'c'].map((id) => costs.get(key(id))!);
    // A target's fixed part is its passes at one price per pass, its own part its rows at one per row.
    const perPass = cost[0].fixedSeconds / r.passes[0];
    const perRow = cost[0].perRowSeconds / r.passRows[0];
    expect(perRow).toBeGreaterThan(0);
    for (let i = 1; i < 3; i++) {
      expect(cost[i].fixedSeconds).toBeCloseTo(perPass * r.passes[i], 12);
      expect(cost[i].perRowSeconds).toBeCloseTo(perRow * r.passRows[i], 12);
    }
  });
});
