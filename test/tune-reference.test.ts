// The tuner against plain references, as llm.c checks each kernel against a CPU version:
// - one native AdamW epoch against an AdamW written out here in float64, driven by the model's
//   klGradient (d KL / d prompt embeddings);
// - the stop rules (patience, budget, converged, diverged), which live in the native tuner
//   (Tuner::finishEpoch and markDiverged), against the loss trace of the same row: the trace is
//   read from runs with budgets 1..M (a row alone is computed identically each time), and the
//   epoch at which each rule must stop is worked out from it;
// - what counts as an improvement for a hard prompt: only a new prompt, never the best one
//   evaluated again (whose loss, computed at another shape, can round a bit lower).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { tune, type TuneOptions, type TuneRecord } from '../lib/tune/index.js';
import { randomTarget } from './helpers/dist.js';

let model: Model;
let V: number;
let d: number;

beforeAll(async () => {
  model = await loadModel('random:micro', { seed: 5, tokenizer: false });
  V = model.info.vocabSize;
  d = model.info.hiddenSize;
});
afterAll(() => model.dispose());

const targetsOf = (n: number, seed: number) => {
  const t = new Float32Array(n * V);
  for (let i = 0; i < n; i++) t.set(randomTarget(V, seed + i, 2 + i), i * V);
  return t;
};

/** AdamW's first step (t = 1, zero moments), float64, exactly as the study writes it. */
function adamwFirstStep(
  theta: Float32Array,
  g: Float32Array,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number },
): Float64Array {
  const out = new Float64Array(theta.length);
  const bc1 = 1 - o.beta1;
  const bc2 = 1 - o.beta2;
  for (let i = 0; i < theta.length; i++) {
    const m = (1 - o.beta1) * g[i];
    const v = (1 - o.beta2) * g[i] * g[i];
    out[i] = theta[i] * (1 - o.lr * o.weightDecay) - ((o.lr / bc1) * m) / (Math.sqrt(v / bc2) + o.eps);
  }
  return out;
}

describe('one AdamW epoch against a TypeScript AdamW on klGradient', () => {
  it('the soft prompt after epoch 1 and its loss agree to 5e-8 (steps of 1e-4), its loss to 1e-5', async () => {
    const rows = 3;
    const L = 4;
    const targets = targetsOf(rows, 900);
    const hyper = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    const opts: TuneOptions = {
      targets,
      method: 'soft',
      prefixLength: L,
      inits: 1,
      batchSize: rows,
      returnSoftPrompt: true,
      ...hyper,
      patience: 50,
    };
    // Budget 1: the best prompt is the initial one (epoch 0); budget 2: the one after one step.
    const start = await tune(model, { ...opts, maxEpochs: 1 });
    const after = await tune(model, { ...opts, maxEpochs: 2 });
    const theta0 = new Float32Array(rows * L * d);
    start.forEach((r) => theta0.set(r.softPrompt!, r.targetIndex * L * d));
    const g0 = await model.klGradient({ embeds: theta0, rows, positions: L, target: targets });
    for (const r of start) expect(r.klNats).toBeCloseTo(g0.klNats[r.targetIndex], 5);

    const ref = adamwFirstStep(theta0, g0.gradEmbeds, hyper);
    const refKl = (await model.klGradient({ embeds: Float32Array.from(ref), rows, positions: L, target: targets }))
      .klNats;
    let worst = 0;
    for (const r of after) {
      // A small step lowers the loss, so the best prompt of budget 2 is the stepped one.
      expect(r.bestEpoch).toBe(1);
      const o = r.targetIndex * L * d;
      for (let i = 0; i < L * d; i++) worst = Math.max(worst, Math.abs(r.softPrompt![i] - ref[o + i]));
      expect(Math.abs(r.klNats - refKl[r.targetIndex])).toBeLessThan(1e-5 * Math.max(1, r.klNats));
      expect(r.klNats).toBeLessThan(start.find((s) => s.targetIndex === r.targetIndex)!.klNats);
    }
    // Each element moves by about lr (Adam's first step is lr·g/(|g| + eps), and no |g| here is
    // near eps): the float32 tuner and the float64 reference agree to float32 rounding of the
    // embeddings (measured 4e-9), a 2,000th of the step.
    expect(worst).toBeLessThan(5e-8);
  });
});

describe('stop rules against the loss trace', () => {
  /** A row's trace: the record of the same row with budgets 1..M (klNats, bestEpoch after e epochs). */
  async function trace(opts: TuneOptions, M: number): Promise<TuneRecord[]> {
    const out: TuneRecord[] = [];
    for (let e = 1; e <= M; e++)
      out.push((await tune(model, { ...opts, maxEpochs: e, patience: 10_000, batchSize: 1 }))[0]);
    return out;
  }
  /** epochs at which a rule fires: the first e (1-based count) where stop(e) holds. */
  const firstEpoch = (M: number, stop: (e: number) => boolean) => Array.from({ length: M }, (_, i) => i + 1).find(stop);

  it('patience P stops P epochs after the last new minimum; budget at maxEpochs; converged at the first best <= it', async () => {
    const M = 12;
    // Hard search stalls between improvements: the trace has flat stretches for patience.
    const opts: TuneOptions = { targets: targetsOf(1, 77), method: 'hard', prefixLength: 2, inits: 1, ban: 'none' };
    const t = await trace(opts, M);
    const best = (e: number) => t[e - 1].klNats; // best over epochs 0..e-1
    // An epoch improves when the best falls during it; epoch 0 always does (the best starts at +inf).
    const improved = (e: number) => e === 1 || best(e) < best(e - 1);
    for (let e = 1; e <= M; e++) expect(best(e)).toBeLessThanOrEqual(e > 1 ? best(e - 1) : Infinity);

    for (const P of [1, 2, 3]) {
      let since = 0;
      const stopAt = firstEpoch(M, (e) => (since = improved(e) ? 0 : since + 1) >= P);
      const [r] = await tune(model, { ...opts, patience: P, maxEpochs: M, batchSize: 1 });
      if (stopAt === undefined) {
        expect(r).toMatchObject({ stopReason: 'budget', epochs: M });
        continue;
      }
      expect({ reason: r.stopReason, epochs: r.epochs, bestEpoch: r.bestEpoch, klNats: r.klNats }).toEqual({
        reason: 'patience',
        epochs: stopAt,
        bestEpoch: t[stopAt - 1].bestEpoch,
        klNats: best(stopAt),
      });
      expect(r.epochs).toBe(r.bestEpoch + P + 1);
    }
    expect(t.filter((_, i) => !improved(i + 1)).length, 'the trace never stalls: pick another target').toBeGreaterThan(
      0,
    );

    const [budget] = await tune(model, { ...opts, patience: 10_000, maxEpochs: 7, batchSize: 1 });
    expect(budget).toMatchObject({ stopReason: 'budget', epochs: 7, klNats: best(7), bestEpoch: t[6].bestEpoch });

    // Converged: a level the trace reaches part-way; the row stops at the first epoch at or below it.
    const level = best(Math.ceil(M / 2));
    const convergedAt = firstEpoch(M, (e) => best(e) <= level)!;
    const [conv] = await tune(model, { ...opts, patience: 10_000, maxEpochs: M, convergedNats: level, batchSize: 1 });
    expect(conv).toMatchObject({ stopReason: 'converged', epochs: convergedAt, klNats: best(convergedAt) });
    expect(conv.bestEpoch).toBe(convergedAt - 1); // reaching the level is a new minimum, in the last epoch run
  });

  it('diverged stops in the epoch whose loss is not finite and keeps the best before it', async () => {
    const opts: TuneOptions = { targets: targetsOf(1, 78), method: 'soft', inits: 1, lr: 1e38, batchSize: 1 };
    const [r] = await tune(model, { ...opts, maxEpochs: 50, patience: 50 });
    expect(r.stopReason).toBe('diverged');
    const t = await trace(opts, r.epochs);
    // Every budget before the non-finite epoch ends as a budget stop; the one that includes it diverges.
    for (let e = 1; e < r.epochs; e++) expect(t[e - 1].stopReason).toBe('budget');
    expect(t[r.epochs - 1]).toMatchObject({ stopReason: 'diverged', epochs: r.epochs });
    expect(r.klNats).toBe(r.epochs > 1 ? t[r.epochs - 2].klNats : Infinity);
    expect(Number.isFinite(r.klNats)).toBe(true);
  });
});

describe('a hard epoch improves only when its prompt changes', () => {
  // k > 1 evaluates the token already in place among its candidates, and the prefix cache
  // evaluates a prompt from each position: the same prompt, computed at other shapes, whose loss
  // can come out one bit lower than the best it already is. Counted as an improvement, that
  // reset patience (and moved bestEpoch) at one batch size and not at another. Each case below
  // had such a row.
  it.each([
    ['random:tiny-gpt2', 8],
    ['random:tiny-llama3', 3],
  ] as const)('%s, k = %i: bestEpoch is the first epoch that held the best prompt', async (name, k) => {
    const m = await loadModel(name, { seed: 3, tokenizer: false });
    try {
      const targets = new Float32Array(8 * m.info.vocabSize);
      for (let t = 0; t < 8; t++)
        targets.set(randomTarget(m.info.vocabSize, 40 + t, 2 + (t % 5)), t * m.info.vocabSize);
      const opts: TuneOptions = {
        targets,
        method: 'hard',
        candidates: k,
        inits: 3,
        patience: 3,
        ban: 'none',
        batchSize: 1,
      };
      const full = await tune(m, { ...opts, maxEpochs: 25 });
      // Alone in its batch a row computes the same epochs whatever the budget: runs with budgets
      // 1..B are the full run's first epochs.
      const after: Map<string, number[]>[] = [];
      for (let e = 1; e <= Math.max(...full.map((r) => r.bestEpoch)) + 1; e++)
        after[e] = new Map((await tune(m, { ...opts, maxEpochs: e })).map((r) => [r.rowId, Array.from(r.promptIds)]));
      for (const r of full) {
        const best = Array.from(r.promptIds);
        expect(after[r.bestEpoch + 1].get(r.rowId), r.rowId).toEqual(best);
        if (r.bestEpoch > 0) expect(after[r.bestEpoch].get(r.rowId), r.rowId).not.toEqual(best);
      }
    } finally {
      m.dispose();
    }
  });
});
