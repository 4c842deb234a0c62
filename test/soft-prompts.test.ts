// A sweep that keeps its soft prompts (spec softPrompts, --soft-prompts): each soft row's stored
// prompt, fed back to the model with the row's target, gives the row's klNats; a hybrid row's is
// 0 exactly at its hard positions; a hard row has none; without the field the column is null and
// the spec's hash is the one it always had.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { readResults } from '../lib/results/index.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec, specFromFlags, specHash } from '../lib/spec/index.js';
import { synthesizeTargets } from '../lib/targets/index.js';

const dir = mkdtempSync(join(tmpdir(), 'distprompt-soft-prompts-'));
let model: Model;
beforeAll(async () => {
  model = await loadModel('random:tiny-gpt2', { tokenizer: false });
});
afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const entry = { kind: 'vanilla' as const, entropyBits: [1, 4], method: 'temperature' as const };
const spec = (output: string, extra: Record<string, unknown> = {}) =>
  parseSpec({
    model: 'random:tiny-gpt2',
    targets: [entry],
    methods: [{ method: 'soft' }, { method: 'hybrid', pattern: 'HSHSS' }, { method: 'hard' }],
    inits: 2,
    maxEpochs: 6,
    bound: false,
    output,
    ...extra,
  });

describe('soft prompts in a sweep', () => {
  it("stores each soft and hybrid row's best prompt, which reproduces its klNats; hard rows have none", async () => {
    const out = join(dir, 'kept.arrow');
    await runSweep(spec(out, { softPrompts: true }), { model, figures: false });
    const { records } = await readResults(out);
    const { hiddenSize: d } = model.info;
    const L = 5;
    const set = await synthesizeTargets(model, { ...entry, seed: 0 });
    const targets = set.toArray();
    const V = model.info.vocabSize;
    // The library makes the very targets the sweep made for these ids (same eps, seeds, values).
    const rowOf = new Map(set.meta.map((m, i) => [m.id, i]));
    const bitsOf = new Map(set.meta.map((m) => [m.id, m.entropyBits]));
    set.dispose();
    const soft = records.filter((r) => r.method === 'soft');
    const hybrid = records.filter((r) => r.method === 'hybrid');
    expect(soft).toHaveLength(4);
    expect(hybrid).toHaveLength(4);
    for (const r of soft) {
      const p = Float32Array.from(r.softPrompt!);
      expect(p).toHaveLength(L * d);
      const t = rowOf.get(r.targetId)!;
      expect(t, r.targetId).toBeDefined();
      expect(r.targetEntropyBits, r.targetId).toBeCloseTo(bitsOf.get(r.targetId)!, 9);
      const { klNats } = await model.klGradient({
        embeds: p,
        rows: 1,
        positions: L,
        target: targets.subarray(t * V, (t + 1) * V),
      });
      expect(klNats[0], r.rowId).toBeCloseTo(r.klNats, 4);
    }
    for (const r of hybrid) {
      const p = Array.from(r.softPrompt!);
      expect(p).toHaveLength(L * d);
      [...'HSHSS'].forEach((c, j) => {
        const at = p.slice(j * d, (j + 1) * d);
        if (c === 'H')
          expect(
            at.every((x) => x === 0),
            `${r.rowId} position ${j}`,
          ).toBe(true);
        else
          expect(
            at.some((x) => x !== 0),
            `${r.rowId} position ${j}`,
          ).toBe(true);
      });
    }
    expect(records.filter((r) => r.method === 'hard').map((r) => r.softPrompt)).toEqual([null, null, null, null]);
  });

  it('is off by default (the column null, the hash unchanged); --soft-prompts sets it, and it is another sweep', async () => {
    const out = join(dir, 'plain.arrow');
    await runSweep(spec(out), { model, figures: false });
    const { records } = await readResults(out);
    expect(records.length).toBe(12);
    expect(records.every((r) => r.softPrompt === null)).toBe(true);
    const plain = spec(out);
    expect('softPrompts' in plain && plain.softPrompts !== undefined).toBe(false);
    expect(specFromFlags({ softPrompts: true }, { ...plain }).softPrompts).toBe(true);
    expect(specHash(spec(out, { softPrompts: true }))).not.toBe(specHash(plain));
    // Resuming a file written without them, asking for them, is refused rather than mixed.
    await expect(runSweep(spec(out, { softPrompts: true }), { model, figures: false, resume: true })).rejects.toThrow(
      /spec differs/,
    );
  });
});
