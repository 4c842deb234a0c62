// What the plan measures for its price (lib/run/estimate.ts, estimate-bound.ts), on a real model:
// the bound's sample holds each entropy grid's ends and solves one draw per grid point, and a
// study's plans share through the costs map an epoch's line per method and prompt length, a
// head-bound pass's part per row per model, and a grid target's bound by its family's target
// measured nearest in entropy. Counted by the map's keys and the solver's own trace, not timed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import type { EpochCost } from '../lib/run/estimate-batching.js';
import { boundPriceSeconds } from '../lib/run/estimate-bound.js';
import { estimateSweep } from '../lib/run/estimate.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { noisyTarget } from './helpers/bound-heads.js';

const fast = { calibrationSeconds: 0.4, sampleRows: 2 };
const sweep = (entropyBits: number[], inits: number, bound: boolean) =>
  parseSpec({
    model: 'random:micro',
    targets: [{ kind: 'vanilla', entropyBits, method: 'temperature' }],
    methods: [{ method: 'soft' }],
    prefixLength: 3,
    inits,
    maxEpochs: 20,
    patience: 5,
    bound,
    output: 'never-written.arrow',
  });

let model: Model;
let dir: string;
let trace: string;
/** Head-bound groups the solver has solved since the test began (one trace line each). */
const solves = () => readFileSync(trace, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean).length;

beforeAll(async () => {
  model = await loadModel('random:micro', { tokenizer: false });
});
afterAll(() => model.dispose());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plan-shared-'));
  trace = join(dir, 'trace.jsonl');
  process.env.DISTPROMPT_BOUND_TRACE = trace;
});
afterEach(() => {
  delete process.env.DISTPROMPT_BOUND_TRACE;
  rmSync(dir, { recursive: true, force: true });
});

describe("the bound's sample", () => {
  it('holds the ends of each entropy grid it bounds, which a spread sample misses', async () => {
    const costs = new Map<string, EpochCost>();
    const spec = sweep(
      Array.from({ length: 40 }, (_, i) => i * 0.25),
      1,
      true,
    );
    await estimateSweep(spec, { ...fast, model, costs });
    const targets = planSweep(spec, model.info.vocabSize).targets;
    const bits = targets.map((t) => (t.kind === 'vanilla' ? (t.params.entropyBits ?? NaN) : NaN));
    const [low, high] = [Math.min(...bits), Math.max(...bits)].map((b) => targets[bits.indexOf(b)].targetId);
    const solved = [...costs.keys()].filter((k) => k.includes('|head bound|')).map((k) => k.split('|').pop());
    // the two rows sampled (of 40) and both ends: 0 and 9.75 bits
    expect([Math.min(...bits), Math.max(...bits)]).toEqual([0, 9.75]);
    expect(solved).toContain(low);
    expect(solved).toContain(high);
    expect(solved).toHaveLength(4);
  }, 120_000);

  it('solves one draw at each grid point, which prices the others there', async () => {
    const costs = new Map<string, EpochCost>();
    const spec = parseSpec({
      ...sweep([3], 1, true),
      targets: [{ kind: 'vanilla', entropyBits: [3], samples: 3, method: 'temperature' }],
    });
    await estimateSweep(spec, { ...fast, sampleRows: 3, model, costs });
    const groups = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { targets: number }).targets);
    // the part per row's copies of one target (1, then 64), and the sample's solve: one target of three
    expect(groups.at(-1)).toBe(1);
    const priced = [...costs.entries()].filter(([k]) => k.includes('|head bound|')).map(([, c]) => c);
    expect(priced).toHaveLength(3);
    for (const c of priced) expect(c).toEqual(priced[0]);
  }, 120_000);
});

describe("a study's plans measure what they share once", () => {
  it("two sweeps of one method and prompt length measure the epoch's line once, whatever their batches", async () => {
    const costs = new Map<string, EpochCost>();
    const soft = () => [...costs.keys()].filter((k) => k.includes('|soft|'));
    const big = await estimateSweep(sweep([0, 3, 6], 2, false), { ...fast, model, costs });
    const small = await estimateSweep(sweep([2, 5], 1, false), { ...fast, model, costs });
    // 6 rows then 2: batches of 6 and 2, one line measured at 6 prices both
    expect(big.methods[0].batchSize).toBe(6);
    expect(small.methods[0].batchSize).toBe(2);
    expect(soft()).toHaveLength(1);
    expect(small.methods[0].epochCost).toEqual(big.methods[0].epochCost);
    // A larger batch than any measured is measured at its own size.
    const larger = await estimateSweep(sweep([0, 2, 4, 6], 2, false), { ...fast, model, costs });
    expect(larger.methods[0].batchSize).toBe(8);
    expect(soft()).toHaveLength(2);
  }, 120_000);

  it("a head-bound pass's part per row is timed by the first plan that solves a sample, not again", async () => {
    const V = model.info.vocabSize;
    const costs = new Map<string, EpochCost>();
    const sample = (ids: string[], seed: number) => {
      const data = new Float32Array(ids.length * V);
      ids.forEach((_, i) => data.set(noisyTarget(V, 0.3 + i, seed + i), i * V));
      return { data, ids, planIndex: ids.map((_, i) => i) };
    };
    await boundPriceSeconds(model, sample(['a', 'b'], 1), [0, 1, 2], costs);
    const first = solves();
    // the part per row (one copy and a group's worth, timed) and the sample's own solve
    expect(first).toBeGreaterThanOrEqual(4);
    expect(await boundPriceSeconds(model, sample(['c', 'd'], 5), [0, 1, 2], costs)).toBeGreaterThan(0);
    // the second sample's own solve alone: one group
    expect(solves() - first).toBe(1);
  }, 120_000);

  it("a grid target is priced by its family's target an earlier plan measured within a bit, and solved where none is", async () => {
    const costs = new Map<string, EpochCost>();
    const first = await estimateSweep(sweep([1, 4], 1, true), { ...fast, model, costs });
    expect(first.setup.boundSeconds).toBeGreaterThan(0);
    const before = solves();
    expect(before).toBeGreaterThan(0);
    // 2 and 5 bits: 1 bit from the 1 and 4 measured, so no bound is solved to price them
    const near = await estimateSweep(sweep([2, 5], 1, true), { ...fast, model, costs });
    expect(near.setup.boundSeconds).toBeGreaterThan(0);
    expect(solves()).toBe(before);
    // 8 bits: no target measured within a bit, so its sample is solved
    await estimateSweep(sweep([8], 1, true), { ...fast, model, costs });
    expect(solves()).toBeGreaterThan(before);
  }, 120_000);
});
