// The tuner against plain references, as llm.c checks each kernel against a CPU version:
// - one native AdamW epoch against an AdamW written out here in float64, driven by the model's
//   klGradient (d KL / d prompt embeddings);
// - the stop rules (patience, budget, converged, diverged), which live in the native tuner
//   (Tuner::finishEpoch and markDiverged), against the loss trace of the same row: the trace is
//   read from runs with budgets 1..M (a row alone is computed identically each time), and the
//   epoch at which each rule must stop is worked out from it;
// - what counts as an improvement for a hard prompt: only a new prompt, never the best one
//   evaluated again (whose loss, computed at another shape, can round a bit lower);
// - 'stalled': a hard row that ends an epoch at a prompt one of its recent epochs began from
//   stops there, and the trace of the same row run on shows it would have gone round that cycle.
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
    // stopStalled off: this is patience's rule; a row that comes back to an earlier prompt is the next test's.
    const opts: TuneOptions = {
      targets: targetsOf(1, 77),
      method: 'hard',
      prefixLength: 2,
      inits: 1,
      ban: 'none',
      stopStalled: false,
    };
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

describe('a hard row that comes back to a prompt it began an epoch from stops stalled', () => {
  it('k = 4: it stops at the first such epoch, with the klNats, prompt and bestEpoch of the row run on', async () => {
    const M = 14;
    const rows = 6;
    const opts: TuneOptions = {
      targets: targetsOf(rows, 300),
      method: 'hard',
      candidates: 4,
      prefixLength: 2,
      inits: 1,
      ban: 'none',
      patience: 10_000,
      batchSize: 1,
    };
    // Each row alone in its batch computes the same epochs whatever the budget: the prompt each
    // epoch ends at, from runs with budgets 1..M that never stop early.
    const endOf: string[][] = []; // endOf[e][row]: the prompt after e epochs
    const runOn: TuneRecord[][] = [];
    for (let e = 1; e <= M; e++) {
      const rs = await tune(model, { ...opts, maxEpochs: e, stopStalled: false });
      endOf[e] = rs.map((r) => Array.from(r.finalIds).join(','));
      runOn[e] = rs;
    }
    const stopped = await tune(model, { ...opts, maxEpochs: M });
    let stalled = 0;
    for (const [i, r] of stopped.entries()) {
      // The history covers every epoch here (patience and M are above M - 1): epoch e began from
      // the end of epoch e - 1; the first, from the row's initial prompt, which no record shows.
      const firstRepeat = Array.from({ length: M - 1 }, (_, j) => j + 2).find((e) =>
        endOf.slice(1, e).some((p) => p?.[i] === endOf[e][i]),
      );
      if (r.stopReason !== 'stalled') {
        expect(r.stopReason, `row ${i}`).toBe('budget');
        expect(firstRepeat, `row ${i} came back to an earlier prompt at epoch ${firstRepeat} and ran on`).toBe(
          undefined,
        );
        continue;
      }
      stalled++;
      const E = r.epochs;
      expect(
        firstRepeat === undefined || E <= firstRepeat,
        `row ${i} stopped at ${E}, after a repeat at ${firstRepeat}`,
      ).toBe(true);
      // Its cycle: the earlier epoch end it matched, or (before any) the initial prompt, epoch 0.
      const back = endOf.slice(1, E).findIndex((p) => p?.[i] === endOf[E][i]);
      const period = back >= 0 ? E - (back + 1) : E;
      // Run on, the row goes round that cycle again: what stopping saved was a repetition.
      for (let e = E + 1; e <= M; e++) {
        if (e - period >= 1) expect(endOf[e][i], `row ${i}, epoch ${e}`).toBe(endOf[e - period][i]);
      }
      const full = runOn[M][i];
      expect({ klNats: r.klNats, bestEpoch: r.bestEpoch, prompt: Array.from(r.promptIds) }, `row ${i}`).toEqual({
        klNats: full.klNats,
        bestEpoch: full.bestEpoch,
        prompt: Array.from(full.promptIds),
      });
      expect(r.epochs).toBeLessThan(M);
    }
    expect(stalled, 'no row stalled: pick other targets').toBeGreaterThan(0);
  });

  it('soft and hybrid rows never stall (their AdamW state moves on); off, hard rows wait out patience', async () => {
    const targets = targetsOf(4, 500);
    const base = { targets, inits: 2, prefixLength: 3, ban: 'none' as const, patience: 3, maxEpochs: 30 };
    for (const o of [{ method: 'soft' as const }, { method: 'hybrid' as const, pattern: 'HSH' }]) {
      const rs = await tune(model, { ...base, ...o });
      expect(
        rs.filter((r) => r.stopReason === 'stalled'),
        o.method,
      ).toEqual([]);
    }
    const on = await tune(model, { ...base, method: 'hard', candidates: 4 });
    const off = await tune(model, { ...base, method: 'hard', candidates: 4, stopStalled: false });
    expect(on.some((r) => r.stopReason === 'stalled')).toBe(true);
    expect(off.every((r) => r.stopReason === 'patience' || r.stopReason === 'budget')).toBe(true);
    const key = (r: TuneRecord) => r.rowId;
    const offBy = new Map(off.map((r) => [key(r), r]));
    for (const r of on) {
      const o = offBy.get(key(r))!;
      expect(Array.from(r.promptIds), r.rowId).toEqual(Array.from(o.promptIds));
      expect(r.bestEpoch, r.rowId).toBe(o.bestEpoch);
      expect(r.klNats, r.rowId).toBeCloseTo(o.klNats, 5);
      expect(r.epochs, r.rowId).toBeLessThanOrEqual(o.epochs);
    }
  });
});
