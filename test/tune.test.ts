// The batched tuner on a real (seeded random) model: row independence, reachability, HotFlip's
// choice against brute force, stop reasons, and bad input.
import { beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { tune, tuneOptionIssues, type TuneProgress, type TuneRecord } from '../lib/tune/index.js';
import { tuneEachRow } from '../lib/tune/run.js';
import { klRow, randomTarget, softmaxRow } from './helpers/dist.js';

let model: Model;
let V: number;
let reachable: Float32Array; // the model's own distribution after a known prompt
let midEntropy: Float32Array;
const prompt = Int32Array.from([17, 402, 3, 999, 250]);

function concat(...rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.length * V);
  rows.forEach((r, i) => out.set(r, i * V));
  return out;
}

beforeAll(async () => {
  model = await loadModel('random:micro', { seed: 7, tokenizer: false });
  V = model.info.vocabSize;
  const logits = await model.logits({ ids: prompt, rows: 1, positions: 5 });
  reachable = Float32Array.from(softmaxRow(logits, 0, V));
  midEntropy = randomTarget(V, 12345, 4);
});

const byRow = (rs: TuneRecord[]) => new Map(rs.map((r) => [`${r.targetId}|${r.initId}`, r]));

describe('soft prompts', () => {
  it('reach near-zero KL on a reachable target and clearly more on a mid-entropy random one', async () => {
    const rs = await tune(model, {
      targets: concat(reachable, midEntropy),
      method: 'soft',
      inits: 2,
      maxEpochs: 300,
      patience: 30,
    });
    expect(rs).toHaveLength(4);
    const easy = Math.min(...rs.filter((r) => r.targetIndex === 0).map((r) => r.klNats));
    const hard = Math.min(...rs.filter((r) => r.targetIndex === 1).map((r) => r.klNats));
    expect(easy).toBeLessThan(0.01);
    expect(hard).toBeGreaterThan(10 * easy);
    expect(hard).toBeGreaterThan(0.1);
    for (const r of rs) {
      expect(r.bestEpoch).toBeLessThan(r.epochs);
      expect(['patience', 'budget']).toContain(r.stopReason);
      expect(Array.from(r.promptIds)).toEqual([-1, -1, -1, -1, -1]);
    }
  });

  it("a row's result is the same alone, in a batch of 64, with neighbours that stop early, and in another order", async () => {
    // 16 random targets, then the reachable one: its rows converge within a few epochs and
    // leave the batch, and queued rows take their slots mid-run.
    const targets = [...Array.from({ length: 16 }, (_, i) => randomTarget(V, 100 + i, 3 + (i % 3))), reachable];
    const data = concat(...targets);
    const opts = { method: 'soft' as const, inits: 4, maxEpochs: 40, patience: 40, convergedNats: 0.05 };
    const keys = ['target:7|2', 'target:11|0'];
    const batch = await tune(model, { targets: data, ...opts, batchSize: 64 });
    expect(batch.filter((r) => r.targetIndex === 16).every((r) => r.stopReason === 'converged' && r.epochs < 40)).toBe(
      true,
    );
    const alone = byRow(
      await tune(model, {
        targets: data,
        ...opts,
        batchSize: 1,
        rows: [
          { targetIndex: 7, initId: 2 },
          { targetIndex: 11, initId: 0 },
        ],
      }),
    );
    const reversedRows = Array.from({ length: 68 }, (_, i) => ({
      targetIndex: Math.floor((67 - i) / 4),
      initId: (67 - i) % 4,
    }));
    const reversed = byRow(await tune(model, { targets: data, ...opts, batchSize: 7, rows: reversedRows }));
    for (const key of keys) {
      const a = alone.get(key)!;
      expect(a.stopReason).toBe('budget');
      for (const other of [byRow(batch).get(key)!, reversed.get(key)!]) {
        expect(Math.abs(other.klNats - a.klNats)).toBeLessThan(1e-4 * Math.max(1, a.klNats));
        expect(other.bestEpoch).toBe(a.bestEpoch);
        expect(other.seed).toBe(a.seed);
      }
    }
  });
});

describe('Gaussian initial prompts', () => {
  it("draw each row's first soft prompt from the embedding matrix's mean and spread, the same alone and in a batch", async () => {
    const d = model.info.hiddenSize;
    // With a budget of one epoch the best prompt is the first one: the loss is taken before AdamW's step.
    const opts = {
      targets: midEntropy,
      method: 'soft' as const,
      init: 'gaussian' as const,
      maxEpochs: 1,
      returnSoftPrompt: true,
    };
    const rs = await tune(model, { ...opts, inits: 8 });
    const { mean, std } = model.embeddingStats();
    const all = rs.flatMap((r) => Array.from(r.softPrompt!));
    expect(all).toHaveLength(8 * 5 * d);
    const m = all.reduce((a, x) => a + x, 0) / all.length;
    const sd = Math.sqrt(all.reduce((a, x) => a + (x - m) ** 2, 0) / all.length);
    expect(Math.abs(m - mean)).toBeLessThan((4 * std) / Math.sqrt(all.length));
    expect(Math.abs(sd / std - 1)).toBeLessThan(0.05);
    // Each row its own draw, and the loss reported is that prompt's.
    expect(new Set(rs.map((r) => r.softPrompt![0])).size).toBe(8);
    const { klNats } = await model.klGradient({ embeds: rs[3].softPrompt!, rows: 1, positions: 5, target: midEntropy });
    expect(Math.abs(klNats[0] - rs[3].klNats)).toBeLessThan(1e-5 * Math.max(1, rs[3].klNats));
    const [alone] = await tune(model, { ...opts, inits: 8, batchSize: 1, rows: [{ targetIndex: 0, initId: 3 }] });
    expect(Array.from(alone.softPrompt!)).toEqual(Array.from(rs[3].softPrompt!));
  });
});

describe('fixed-shape epochs (what a CUDA graph replays)', () => {
  it('give every row the result of the usual epochs, while rows stop, slots refill and the last batch runs part-empty', async () => {
    // The reachable target's rows converge within a few epochs and leave mid-chunk; 68 rows in
    // slots of 24 leave the last batch with idle slots. Stopped and empty slots are computed but
    // must change nothing: not their own state (epochs, best) and not their neighbours'.
    const targets = [...Array.from({ length: 16 }, (_, i) => randomTarget(V, 300 + i, 2 + (i % 4))), reachable];
    const opts = {
      targets: concat(...targets),
      inits: 4,
      maxEpochs: 30,
      patience: 6,
      convergedNats: 0.05,
      batchSize: 24,
      chunkEpochs: 3,
    };
    const usual = byRow(await tune(model, opts));
    const fixed = await tune(model, { ...opts, fixedShapes: true });
    expect(fixed).toHaveLength(68);
    const reasons = new Set(fixed.map((r) => r.stopReason));
    expect(reasons).toContain('converged');
    expect(fixed.some((r) => r.epochs < 30 && r.stopReason !== 'converged') || reasons.has('budget')).toBe(true);
    for (const r of fixed) {
      const u = usual.get(`${r.targetId}|${r.initId}`)!;
      expect({ key: r.rowId, reason: r.stopReason, epochs: r.epochs, best: r.bestEpoch }).toEqual({
        key: u.rowId,
        reason: u.stopReason,
        epochs: u.epochs,
        best: u.bestEpoch,
      });
      expect(Math.abs(r.klNats - u.klNats)).toBeLessThan(1e-4 * Math.max(1, u.klNats));
    }
  });
});

describe('hard prompts (HotFlip)', () => {
  it('k = 1 takes exactly the linearised argmin (brute force over the vocabulary)', async () => {
    const [r] = await tune(model, {
      targets: midEntropy,
      method: 'hard',
      prefixLength: 1,
      inits: 1,
      maxEpochs: 1,
      ban: 'none',
    });
    const init = r.promptIds; // epoch 0 is the only evaluated prompt
    const embeds = await model.embed({ ids: init, rows: 1, positions: 1 });
    const { gradEmbeds } = await model.klGradient({ embeds, rows: 1, positions: 1, target: midEntropy });
    const all = await model.embed({ ids: Int32Array.from({ length: V }, (_, i) => i), rows: V, positions: 1 });
    const d = model.info.hiddenSize;
    let best = -1;
    let bestScore = Infinity;
    for (let x = 0; x < V; x++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (all[x * d + k] - embeds[k]) * gradEmbeds[k];
      if (s < bestScore) [best, bestScore] = [x, s];
    }
    expect(r.finalIds[0]).toBe(best);
  });

  it("k > 1 never increases a row's loss, and the returned ids reproduce the returned loss", async () => {
    const rs = await tune(model, {
      targets: concat(midEntropy, reachable),
      method: 'hard',
      candidates: 8,
      inits: 2,
      maxEpochs: 4,
      ban: 'none',
    });
    for (const r of rs) {
      // Monotone: where the search stopped is where its minimum is.
      expect(Array.from(r.finalIds)).toEqual(Array.from(r.promptIds));
      const logits = await model.logits({ ids: r.promptIds, rows: 1, positions: 5 });
      const target = r.targetIndex === 0 ? midEntropy : reachable;
      expect(Math.abs(klRow(target, 0, logits, 0, V) - r.klNats)).toBeLessThan(1e-4 * Math.max(1, r.klNats));
    }
  });

  it('hard choices are identical alone and in a batch', async () => {
    const targets = concat(...Array.from({ length: 6 }, (_, i) => randomTarget(V, 7 + i, 3)));
    const opts = {
      method: 'hybrid' as const,
      pattern: 'HHS',
      prefixLength: 3,
      inits: 2,
      maxEpochs: 3,
      ban: 'none' as const,
    };
    const batch = byRow(await tune(model, { targets, ...opts }));
    const alone = byRow(await tune(model, { targets, ...opts, batchSize: 1, rows: [{ targetIndex: 4, initId: 1 }] }));
    const a = alone.get('target:4|1')!;
    const b = batch.get('target:4|1')!;
    expect(Array.from(b.promptIds)).toEqual(Array.from(a.promptIds));
    expect(a.promptIds[2]).toBe(-1);
  });
});

describe('fixed context', () => {
  it('tokens before and after the searched positions are part of the forward', async () => {
    // Hard search of 1 position between a fixed prefix and suffix; the returned prompt, fed back
    // with the same context, reproduces the returned loss, and without it does not.
    const before = Int32Array.from([11, 12]);
    const after = Int32Array.from([13]);
    const [r] = await tune(model, {
      targets: midEntropy,
      method: 'hard',
      prefixLength: 1,
      inits: 1,
      maxEpochs: 3,
      ban: 'none',
      contextBefore: before,
      contextAfter: after,
    });
    const withContext = await model.logits({
      ids: Int32Array.from([...before, r.promptIds[0], ...after]),
      rows: 1,
      positions: 4,
    });
    expect(Math.abs(klRow(midEntropy, 0, withContext, 0, V) - r.klNats)).toBeLessThan(1e-4 * Math.max(1, r.klNats));
    const alone = await model.logits({ ids: Int32Array.from([r.promptIds[0]]), rows: 1, positions: 1 });
    expect(Math.abs(klRow(midEntropy, 0, alone, 0, V) - r.klNats)).toBeGreaterThan(1e-3);
  });
});

describe('stopping', () => {
  it('patience, budget, divergence and abort each end rows with the right reason', async () => {
    const [budget] = await tune(model, { targets: midEntropy, inits: 1, maxEpochs: 3 });
    expect(budget).toMatchObject({ stopReason: 'budget', epochs: 3 });
    const [patience] = await tune(model, { targets: midEntropy, inits: 1, lr: 1e-9, patience: 2, maxEpochs: 500 });
    expect(patience.stopReason).toBe('patience');
    expect(patience.epochs).toBeLessThan(500);
    const [diverged] = await tune(model, { targets: midEntropy, inits: 1, lr: 1e38, maxEpochs: 50 });
    expect(diverged.stopReason).toBe('diverged');
    expect(Number.isFinite(diverged.klNats)).toBe(true); // the best before it diverged is kept

    const controller = new AbortController();
    const run = tune(model, {
      targets: concat(midEntropy, reachable),
      inits: 3,
      maxEpochs: 500,
      patience: 500,
      batchSize: 2,
      chunkEpochs: 2,
      signal: controller.signal,
    });
    run.on('progress', () => controller.abort());
    const rs = await run;
    expect(rs.length).toBeGreaterThan(0);
    expect(rs.length).toBeLessThan(6);
    expect(rs.every((r) => r.stopReason === 'aborted')).toBe(true);
  });

  it('reports progress', async () => {
    const events: number[] = [];
    const run = tune(model, { targets: midEntropy, inits: 3, maxEpochs: 8, batchSize: 2, chunkEpochs: 2 });
    run.on('progress', (p) => events.push(p.rowsDone));
    const rs = await run;
    expect(rs).toHaveLength(3);
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)).toBe(3);
  });

  it.each([
    ['soft', 'SSSSS', 1],
    ['hybrid', 'SSSSS', 1],
    ['hybrid', 'HSSSS', 5],
    ['hard', 'HHHHH', 5],
  ] as const)('counts the row-steps the tuner ran (%s %s: %i a row-epoch)', async (method, pattern, perEpoch) => {
    // A pattern with no hard position runs the soft epoch, one step a row: counted as five, its
    // row-steps/s read five times what it ran.
    const run = tune(model, {
      targets: midEntropy,
      method,
      pattern,
      inits: 2,
      maxEpochs: 4,
      patience: 50,
      chunkEpochs: 4,
    });
    let last: TuneProgress | undefined;
    run.on('progress', (p) => (last = p));
    const rs = await run;
    expect(rs.map((r) => r.epochs)).toEqual([4, 4]);
    expect((last!.rowStepsPerSecond * last!.elapsedMs) / 1000).toBeCloseTo(2 * 4 * perEpoch, 6);
  });

  it("reads a finished row's KL once, not again at every later chunk: a long sweep's progress costs no more per chunk late than early", async () => {
    // Every row of 8 targets × 4 inits through a batch of 4, a chunk of one epoch: 30-odd chunks.
    const targets = concat(...Array.from({ length: 8 }, (_, i) => randomTarget(V, 300 + i, 3)));
    const run = tune(model, { targets, inits: 4, maxEpochs: 6, patience: 2, batchSize: 4, chunkEpochs: 1 });
    // Counts the reads of each row's klNats after its 'row' event, by whatever reads it then.
    const readsAfter: number[] = [];
    const kls: number[] = [];
    run.on('row', (r) => {
      const i = readsAfter.push(0) - 1;
      const kl = r.klNats;
      kls.push(kl);
      Object.defineProperty(r, 'klNats', {
        get: () => {
          readsAfter[i]++;
          return kl;
        },
      });
    });
    const means: number[] = [];
    run.on('progress', (p) => means.push(p.meanBestKlNats));
    const rs = await run;
    expect(rs).toHaveLength(32);
    expect(means.length).toBeGreaterThan(8);
    expect(readsAfter).toEqual(new Array(32).fill(0));
    // The mean is still that of every row finished, in the order they finished.
    expect(means.at(-1)).toBe(kls.reduce((a, k) => a + k, 0) / kls.length);
  });

  it("tuneEachRow hands every row to its 'row' listeners and keeps none: a sweep journals them, and a method of a million rows holds none of them to its end", async () => {
    const opts = { targets: midEntropy, inits: 5, maxEpochs: 6, batchSize: 2, chunkEpochs: 2 };
    const rows: TuneRecord[] = [];
    let last: TuneProgress | undefined;
    const run = tuneEachRow(model, opts);
    run.on('row', (r) => rows.push(r));
    run.on('progress', (p) => (last = p));
    expect(await run).toEqual([]);
    expect(rows.map((r) => r.initId).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(last).toMatchObject({ rowsDone: 5, rowsTotal: 5 });
    expect(last!.meanBestKlNats).toBe(rows.reduce((a, r) => a + r.klNats, 0) / 5);
    // The same rows as tune(), which returns them.
    const kept = await tune(model, opts);
    expect(kept.map((r) => [r.rowId, r.klNats])).toEqual(rows.map((r) => [r.rowId, r.klNats]));
  });
});

describe('bad input fails before any work', () => {
  it.each([
    [{ prefixLength: 0 }, /prefixLength: must be >= 1/],
    [{ method: 'hybrid', pattern: 'HHS' }, /pattern 'HHS' has 3 positions but prefixLength is 5/],
    [{ method: 'hybrid', pattern: 'HHXSS' }, /may hold only H and S/],
    [{ method: 'hybrid', pattern: 'hhsss' }, /pattern 'hhsss' has small letters: write the pattern in capitals: HHSSS/],
    // A hard prompt has no soft position: what only soft positions read would change nothing.
    [{ method: 'hard', lr: 0.05 }, /lr: is for soft positions, and a hard prompt has none: leave it out/],
    [{ method: 'hybrid' }, /hybrid needs a pattern/],
    [{ lr: 0 }, /lr: must be > 0/],
    [{ lr: Number.NaN }, /lr: must be/],
    [{ method: 'greedy' }, /method: must be 'soft', 'hard' or 'hybrid'/],
    // Soft positions have no HotFlip candidates: k = 4 is refused, as a sweep spec refuses it.
    [{ method: 'soft', candidates: 4 }, /candidates: candidates applies to hard and hybrid methods, not soft/],
    // Nor has a hybrid of S only: every k ran the same rows.
    [
      { method: 'hybrid', pattern: 'SSSSS', candidates: 4 },
      /candidates: candidates applies to hard positions, and pattern 'SSSSS' has none/,
    ],
    [{ method: 'hybrid', pattern: 'HSSSS', cudaGraph: true }, /cudaGraph: needs a model on a CUDA device/],
    [{ cudaGraph: true }, /cudaGraph: needs a model on a CUDA device; this one is on cpu/],
    // A misspelt option is refused, not dropped (the run would go ahead at the default lr).
    [{ lrr: 0.5 }, /unknown option 'lrr' \(known: method, .*\blr\b.*\), besides the inputs TuneOptions lists/],
    [{ patiense: 3, maxEpoch: 9 }, /unknown options 'patiense', 'maxEpoch'/],
  ])('%o', async (bad, message) => {
    await expect(tune(model, { targets: midEntropy, ...(bad as object) })).rejects.toThrow(message);
  });

  it('a hard method refuses each soft-position option given, all at once; left out, undefined or false it runs, and hybrid takes them', async () => {
    const given = {
      lr: 0.05,
      beta1: 0.8,
      beta2: 0.99,
      eps: 1e-6,
      weightDecay: 0.01,
      init: 'tokens', // the default, given: still no one's choice for a hard prompt
      returnSoftPrompt: true,
    } as const;
    const issues = tuneOptionIssues({ method: 'hard', ...given });
    expect(issues.map((i) => i.path)).toEqual(Object.keys(given));
    for (const i of issues)
      expect(i.message).toBe(
        "is for soft positions, and a hard prompt has none: leave it out, or use { method: 'hybrid' } or { method: 'soft' }",
      );
    await expect(tune(model, { targets: midEntropy, method: 'hard', init: 'gaussian' })).rejects.toThrow(
      /invalid tune options:\n {2}init: is for soft positions/,
    );
    const quick = { targets: midEntropy, inits: 1, maxEpochs: 1 } as const;
    const [hard] = await tune(model, { ...quick, method: 'hard', lr: undefined, returnSoftPrompt: false });
    expect(hard.softPrompt).toBeNull();
    const [hybrid] = await tune(model, { ...quick, method: 'hybrid', pattern: 'HSSSS', ...given });
    expect(hybrid.softPrompt).not.toBeNull();
  });

  it('a target of the wrong vocabulary size, or not a distribution', async () => {
    await expect(tune(model, { targets: new Float32Array(V + 1).fill(1 / (V + 1)) })).rejects.toThrow(
      /not a whole number of rows of the vocabulary size 1000/,
    );
    const bad = midEntropy.slice();
    bad[3] = -0.1;
    await expect(tune(model, { targets: bad })).rejects.toThrow(
      /target 0 is not a distribution: value -0.1\d* at token 3 is negative/,
    );
    await expect(tune(model, { targets: new Float32Array(V).fill(0.5 / V) })).rejects.toThrow(
      /target 0 is not a distribution: it sums to 0.5/,
    );
  });
});
