// Every number a sweep writes for a row, recomputed by hand from the results file: the file read
// with apache-arrow (not readResults), the row's stored prompt fed back through the model's
// forward (hard ids, a hybrid's ids with its soft embeddings, a soft prompt), softmax and
// KL(target ‖ model) in float64 here. klNats in nats at the stored prompt, modelEntropyBits and
// targetEntropyBits in bits, promptText the decoded hard runs, the stop columns by their rules,
// and the bound columns in their order. An lm target is rebuilt from its lmPromptIds alone.
import { tableFromIPC } from 'apache-arrow';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, parseSpec, runSweep, synthesizeTargets, type Model } from '../lib/index.js';
import { softmaxRow } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'distprompt-recomputed-'));
const out = join(dir, 'r.arrow');
const MAX_EPOCHS = 8;
const PATIENCE = 2;
const L = 5;
const vanilla = { kind: 'vanilla' as const, entropyBits: '0:max:7.8', method: 'temperature' as const };
const outlier = { kind: 'outlier' as const, entropyBits: [4], outliers: 2 };
const lm = { kind: 'lm' as const, count: 2, pairedVanilla: true };

type Row = Record<string, unknown> & {
  rowId: string;
  targetId: string;
  method: string;
  klNats: number;
  promptIds: Int32Array | null;
  softPrompt: Float32Array | null;
};

let model: Model;
let rows: Row[];
const targets = new Map<string, Float32Array>();

const bits = (p: ArrayLike<number>) => {
  let h = 0;
  for (let v = 0; v < p.length; v++) if (p[v] > 0) h -= p[v] * Math.log2(p[v]);
  return h;
};
const kl = (p: Float32Array, q: Float64Array) => {
  let k = 0;
  for (let v = 0; v < p.length; v++) if (p[v] > 0) k += p[v] * (Math.log(p[v]) - Math.log(q[v]));
  return k;
};

beforeAll(async () => {
  model = await loadModel('random:tiny-gpt2');
  const spec = parseSpec({
    model: 'random:tiny-gpt2',
    targets: [vanilla, outlier, lm],
    methods: [{ method: 'soft' }, { method: 'hybrid', pattern: 'HSHSS' }, { method: 'hard', candidates: 2 }],
    inits: 2,
    maxEpochs: MAX_EPOCHS,
    patience: PATIENCE,
    softPrompts: true,
    seed: 3,
    output: out,
  });
  await runSweep(spec, { model, figures: false });
  const t = tableFromIPC(readFileSync(out));
  rows = Array.from({ length: t.numRows }, (_, i) => {
    const r = t.get(i)!.toJSON() as Record<string, unknown>;
    const list = (x: unknown, T: typeof Int32Array | typeof Float32Array) =>
      x === null ? null : T.from(x as Iterable<number>);
    return {
      ...r,
      promptIds: list(r.promptIds, Int32Array),
      softPrompt: list(r.softPrompt, Float32Array),
    } as Row;
  });
  const V = model.info.vocabSize;
  // Vanilla and outlier targets as the library makes them for these ids (their synthesis is
  // checked against its definition in targets.test.ts); lm targets below from their prompts.
  for (const entry of [vanilla, outlier, lm]) {
    const set = await synthesizeTargets(model, { ...entry, seed: 3 });
    const all = set.toArray();
    set.meta.forEach((m, i) => targets.set(m.id, all.slice(i * V, (i + 1) * V)));
    set.dispose();
  }
}, 300_000);

afterAll(() => {
  model?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('a results file, recomputed by hand', () => {
  it('has every row of the plan: 9 targets (4 vanilla, 1 outlier, 2 lm, 2 paired) × 3 methods × 2 inits', () => {
    expect(rows).toHaveLength(54);
    expect(new Set(rows.map((r) => r.targetId)).size).toBe(9);
  });

  it("an lm target is the model's softmax at its lmPromptIds, and every row names a target of its entropy", async () => {
    const V = model.info.vocabSize;
    for (const r of rows.filter((x) => x.targetKind === 'lm' && x.initId === 0 && x.method === 'soft')) {
      const ids = Int32Array.from(r.lmPromptIds as Iterable<number>);
      const q = softmaxRow(await model.logits({ ids, rows: 1, positions: ids.length }), 0, V);
      const p = targets.get(r.targetId)!;
      expect(p, r.targetId).toBeDefined();
      expect(
        p.reduce((m, x, v) => Math.max(m, Math.abs(x - q[v])), 0),
        r.targetId,
      ).toBeLessThan(1e-7);
    }
    for (const r of rows) {
      const p = targets.get(r.targetId);
      expect(p, r.targetId).toBeDefined();
      expect(Math.abs(bits(p!) - (r.targetEntropyBits as number)), r.rowId).toBeLessThan(1e-5);
    }
  });

  it('klNats is KL(target ‖ model) in nats at the stored prompt, and modelEntropyBits the entropy there in bits', async () => {
    const V = model.info.vocabSize;
    const d = model.info.hiddenSize;
    for (const r of rows) {
      let logits: Float32Array;
      if (r.method === 'hard') {
        expect(r.softPrompt, r.rowId).toBeNull();
        logits = await model.logits({ ids: r.promptIds!, rows: 1, positions: L });
      } else {
        // A soft prompt's row: every position soft (ids −1); a hybrid's: its hard ids' embeddings
        // where the pattern says H (the stored soft prompt is 0 there).
        const embeds = Float32Array.from(r.softPrompt!);
        expect(embeds).toHaveLength(L * d);
        const ids = r.promptIds!;
        const hard = Int32Array.from(ids, (x) => Math.max(x, 0));
        const e = await model.embed({ ids: hard, rows: 1, positions: L });
        [...(r.pattern as string)].forEach((c, j) => {
          expect(ids[j] >= 0, `${r.rowId} position ${j}`).toBe(c === 'H');
          if (c === 'H') embeds.set(e.subarray(j * d, (j + 1) * d), j * d);
        });
        logits = await model.logits({ embeds, rows: 1, positions: L });
      }
      const q = softmaxRow(logits, 0, V);
      const mine = kl(targets.get(r.targetId)!, q);
      expect(Math.abs(mine - r.klNats), `${r.rowId}: stored ${r.klNats}, recomputed ${mine}`).toBeLessThan(
        1e-5 * Math.max(1, mine),
      );
      expect(Math.abs(bits(q) - (r.modelEntropyBits as number)), r.rowId).toBeLessThan(1e-4);
    }
  });

  it("promptText is each run of hard tokens decoded together, soft positions as ⟨soft⟩; a soft row's is null", () => {
    for (const r of rows) {
      if (r.method === 'soft') {
        expect(r.promptText, r.rowId).toBeNull();
        continue;
      }
      let text = '';
      let run: number[] = [];
      const flush = () => {
        if (run.length) text += model.tokenizer!.decode(run);
        run = [];
      };
      for (const id of r.promptIds!) {
        if (id < 0) {
          flush();
          text += '⟨soft⟩';
        } else run.push(id);
      }
      flush();
      expect(r.promptText, r.rowId).toBe(text);
    }
  });

  it('the stop columns follow their rules: bestEpoch counts from 0, patience stops patience epochs after it', () => {
    for (const r of rows) {
      const [best, epochs] = [r.bestEpoch as number, r.epochs as number];
      expect(best, r.rowId).toBeGreaterThanOrEqual(0);
      expect(best, r.rowId).toBeLessThan(epochs);
      if (r.stopReason === 'budget') expect(epochs, r.rowId).toBe(MAX_EPOCHS);
      else if (r.stopReason === 'patience') expect(epochs, r.rowId).toBe(best + 1 + PATIENCE);
      else expect(r.stopReason, r.rowId).toBe('stalled');
    }
    expect(new Set(rows.map((r) => r.stopReason)).size).toBeGreaterThan(1);
  });

  it('the bound columns keep their order: bottleneck ≤ ball ≤ sphere, the certified ball under every KL, bodyGap from the sphere', () => {
    for (const r of rows) {
      const [ball, gap, sphere] = [r.headBoundNats, r.headBoundGapNats, r.sphereBoundNats] as number[];
      expect(r.bottleneckConverged, r.rowId).toBe(true);
      expect(r.bottleneckBoundNats as number, r.rowId).toBeLessThanOrEqual(ball + gap);
      expect(ball - gap, r.rowId).toBeLessThanOrEqual(sphere);
      expect(ball - gap, r.rowId).toBeLessThanOrEqual(r.klNats);
      expect(r.belowHeadBound, r.rowId).toBe(false);
      expect(r.bodyGapNats, r.rowId).toBe(r.klNats - sphere);
    }
  });
});
