// The head bound against an independent solver (test/helpers/bound-reference.ts: exact
// constraint, dense Newton, float64) on tiny heads, at the edges, and on every golden family:
// below the KL any prompt reaches there.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { headBound, headBoundOf, type HeadBoundRecord } from '../lib/bound/index.js';
import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import { tune } from '../lib/tune/index.js';
import { klAt, referenceHeadBound } from './helpers/bound-reference.js';
import { gauss, makeHead } from './helpers/bound-heads.js';
import { rng } from './helpers/dist.js';

/** Distributions over V tokens: peaked, flat-ish, with zeros, one-hot, uniform. */
function targetsFor(V: number, seed: number): Float32Array[] {
  const r = rng(seed);
  const softmax = (z: number[]) => {
    const m = Math.max(...z);
    const e = z.map((x) => Math.exp(x - m));
    const s = e.reduce((a, x) => a + x, 0);
    return Float32Array.from(e, (x) => x / s);
  };
  const withZeros = softmax(Array.from({ length: V }, () => gauss(r)));
  for (let v = 0; v < V; v += 3) withZeros[v] = 0;
  const s = withZeros.reduce((a, x) => a + x, 0);
  for (let v = 0; v < V; v++) withZeros[v] /= s;
  const oneHot = new Float32Array(V);
  oneHot[V - 2] = 1;
  return [
    softmax(Array.from({ length: V }, () => gauss(r) * 4)),
    softmax(Array.from({ length: V }, () => gauss(r) * 0.5)),
    withZeros,
    oneHot,
    new Float32Array(V).fill(1 / V),
  ];
}

const concat = (rows: Float32Array[]) => {
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  rows.reduce((o, r) => (out.set(r, o), o + r.length), 0);
  return out;
};

describe('head bound on tiny heads, against the independent solver', () => {
  const cases: [string, number, number, 'layernorm' | 'rmsnorm', boolean][] = [
    ['rmsnorm d=2', 23, 2, 'rmsnorm', false],
    ['rmsnorm d=8 with bias', 64, 8, 'rmsnorm', true],
    ['layernorm d=3', 17, 3, 'layernorm', false],
    ['layernorm d=8 with bias', 61, 8, 'layernorm', true],
  ];
  for (const [name, V, d, norm, bias] of cases) {
    it(name, async () => {
      const c = makeHead(V, d, norm, bias, V * 31 + d);
      const targets = targetsFor(V, d + 7);
      const got = await headBoundOf(c.head, concat(targets), { returnPoint: true });
      expect(got).toHaveLength(targets.length);
      targets.forEach((p, i) => {
        const want = referenceHeadBound(c.plain, p);
        const g = got[i];
        expect(g.converged).toBe(true);
        expect(g.gapNats).toBeLessThanOrEqual(1e-5);
        // Both are minima of the same convex problem: they agree within the certificate.
        expect(Math.abs(g.headBoundNats - want.klNats)).toBeLessThanOrEqual(2e-5 + 1e-6 * want.klNats);
        // The returned point is in S and gives the reported value.
        expect(klAt(c.plain, p, g.point!)).toBeCloseTo(g.headBoundNats, 4);
        // The bottleneck (no norm) is never above the head bound.
        expect(g.bottleneckBoundNats!).toBeLessThanOrEqual(g.headBoundNats + 1e-12);
        const q = g.distribution!;
        expect(q.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
      });
    });
  }
});

describe('head bound at the edges', () => {
  const V = 40;
  const d = 5;
  const c = makeHead(V, d, 'layernorm', true, 99);
  const inS = (scale: number) => {
    // s = γ⊙c + β with Σc = 0 and ‖c‖ = scale·√d.
    const r = rng(5);
    const raw = Array.from({ length: d }, () => gauss(r));
    const mean = raw.reduce((a, x) => a + x, 0) / d;
    const cc = raw.map((x) => x - mean);
    const n = Math.hypot(...cc);
    return cc.map((x, i) => (x / n) * scale * Math.sqrt(d) * c.plain.gamma![i] + c.plain.beta![i]);
  };
  const distributionAt = (s: number[]) => {
    const z = Array.from({ length: V }, (_, v) =>
      s.reduce((a, x, i) => a + x * c.plain.W[v * d + i], c.plain.bias![v]),
    );
    const m = Math.max(...z);
    const e = z.map((x) => Math.exp(x - m));
    const sum = e.reduce((a, x) => a + x, 0);
    return Float32Array.from(e, (x) => x / sum);
  };

  it('a target the output layer produces has bound 0; one from just outside S a small positive bound', async () => {
    const inside = distributionAt(inS(0.7));
    const boundary = distributionAt(inS(1));
    const outside = distributionAt(inS(1.3));
    const [a, b, o] = await headBoundOf(c.head, concat([inside, boundary, outside]));
    expect(a.headBoundNats).toBeLessThan(2e-5);
    expect(a.onBoundary).toBe(false);
    expect(b.headBoundNats).toBeLessThan(2e-5);
    expect(o.headBoundNats).toBeGreaterThan(1e-4);
    expect(o.onBoundary).toBe(true);
    expect(Math.abs(o.headBoundNats - referenceHeadBound(c.plain, outside).klNats)).toBeLessThan(2e-5);
    // From outside S, the bottleneck reaches the target itself (it was made by an s).
    expect(o.bottleneckBoundNats!).toBeLessThan(1e-5);
    expect(o.bottleneckConverged).toBe(true);
  });

  it('targets with zeros: the bottleneck reports its minimum or its limit, never a number that is neither', async () => {
    const zeros = new Float32Array(V);
    zeros[3] = 0.5;
    zeros[11] = 0.5;
    const [r] = await headBoundOf(c.head, zeros);
    expect(['minimum', 'limit']).toContain(r.bottleneckStatus);
    expect(r.bottleneckBoundNats!).toBeLessThanOrEqual(r.headBoundNats);
    // Two tokens: where they span an edge of the hull of W's rows, any split between them is the
    // limit (0); otherwise their mean lies inside the hull and the minimum is attained.
    if (r.bottleneckStatus === 'limit') expect(r.bottleneckBoundNats!).toBeLessThanOrEqual(1e-5);
    else expect(r.bottleneckGradNorm!).toBeLessThanOrEqual(1e-6);
    const [cut] = await headBoundOf(c.head, zeros, { bottleneckIterations: 2, gradTol: 1e-12 });
    expect(cut.bottleneckStatus).toBe('unconverged');
    expect(cut.bottleneckBoundNats).toBeNull();
  });

  it('float32 arithmetic agrees with float64 to its precision', async () => {
    const t = concat(targetsFor(V, 3));
    const a = await headBoundOf(c.head, t, { dtype: 'float64' });
    const b = await headBoundOf(c.head, t, { dtype: 'float32', tolNats: 1e-4 });
    expect([a.length, b.length]).toEqual([5, 5]);
    a.forEach((x, i) => expect(Math.abs(x.headBoundNats - b[i].headBoundNats)).toBeLessThan(1e-3));
  });

  it("takes the targets headBound takes: a target set's (its tensor and ids) as its array's", async () => {
    // Before, a target set passed resolveTargets and reached the addon whole: 'targets must be a Float32Array'.
    const t = concat(targetsFor(V, 3).slice(0, 2));
    const set = {
      targets: native().tensorFromArray({ data: t, shape: [2, V] }),
      meta: [
        { id: 'a', entropyBits: 0 },
        { id: 'b', entropyBits: 0 },
      ],
    };
    try {
      const fromArray = await headBoundOf(c.head, t);
      const fromSet = await headBoundOf(c.head, set);
      expect(fromSet.map((b) => b.targetId)).toEqual(['a', 'b']);
      expect(fromSet.map((b) => b.headBoundNats)).toEqual(fromArray.map((b) => b.headBoundNats));
      expect((await headBoundOf(c.head, set.targets)).map((b) => b.headBoundNats)).toEqual(
        fromArray.map((b) => b.headBoundNats),
      );
    } finally {
      set.targets.dispose();
    }
  });

  it('the native solver takes every option explicitly: a missing one is an error naming it', async () => {
    const { native } = await import('../lib/native/index.js');
    const call = () =>
      native().headBoundOf({
        W: c.head.W,
        vocab: V,
        hidden: d,
        norm: 'layernorm',
        targets: new Float32Array(V).fill(1 / V),
        dtype: 'float64',
        maxIterations: 10,
        gradTol: 1e-6,
        bottleneckIterations: 0,
        groups: new Int32Array(1),
        returnPoint: false,
        sphere: true,
        sphereRandomStarts: 2,
      } as never);
    expect(call).toThrow(/headBound: options\.tolNats is missing/);
  });

  it('rejects bad input with errors that name it', async () => {
    await expect(headBoundOf(c.head, new Float32Array(V).fill(0.5))).rejects.toThrow(/target 0 is not a distribution/);
    await expect(
      headBoundOf({ ...c.head, norm: 'batchnorm' as 'rmsnorm' }, new Float32Array(V).fill(1 / V)),
    ).rejects.toThrow(/head.norm/);
    await expect(
      headBoundOf({ ...c.head, gamma: new Float32Array(3) }, new Float32Array(V).fill(1 / V)),
    ).rejects.toThrow(/head.gamma has 3 values; expected 5/);
    // A misspelt field of the head (its bias as 'bais') would be dropped and the bound solved without it.
    const { bias, ...noBias } = c.head;
    await expect(headBoundOf({ ...noBias, bais: bias } as never, new Float32Array(V).fill(1 / V))).rejects.toThrow(
      /headBoundOf: unknown field 'bais' \(known: W, vocab, hidden, norm, gamma, beta, bias, device\)/,
    );
    await expect(headBoundOf(c.head, new Float32Array(V).fill(1 / V), { tolNats: -1 })).rejects.toThrow(/tolNats/);
    await expect(headBoundOf(c.head, new Float32Array(V).fill(1 / V), { tolnats: 1e-3 } as never)).rejects.toThrow(
      /unknown option 'tolnats' \(known: tolNats, /,
    );
    await expect(headBoundOf(c.head, new Float32Array(V).fill(1 / V), { tolerance: 1 } as never)).rejects.toThrow(
      /tolerance/,
    );
    const two = new Float32Array(2 * V).fill(1 / V);
    await expect(headBoundOf(c.head, two, { groups: [0] })).rejects.toThrow(
      /groups has 1 values; expected one per target, 2/,
    );
    await expect(headBoundOf(c.head, two, { groups: [1, 0] })).rejects.toThrow(
      /groups: must be in non-decreasing order/,
    );
    await expect(headBoundOf(c.head, two, { groups: [0, -1] })).rejects.toThrow(/groups\[1\]: must be >= 0, got -1/);
    await expect(headBoundOf(c.head, two, { groups: [0, 0], batch: 2 })).rejects.toThrow(
      /batch: give batch or groups, not both/,
    );
  });
});

describe('head bound of real models (every golden family)', () => {
  const root = join(__dirname, 'fixtures', 'hf-golden');
  const families = ['a_gpt2', 'b_llama_gqa', 'd_qwen2', 'e_falcon7b_style', 'g_llama_gqa_bf16'];
  for (const fam of families) {
    it(`${fam}: no prompt found goes below the bound; the model's own distribution has bound 0`, async () => {
      const model = await loadModel(join(root, fam), { tokenizer: false });
      try {
        const V = model.info.vocabSize;
        const own = await model.logits({ ids: Int32Array.from([1, 2, 3]), rows: 1, positions: 3 });
        const m = Math.max(...own);
        const e = Array.from(own, (x) => Math.exp(x - m));
        const sum = e.reduce((a, x) => a + x, 0);
        const reachable = Float32Array.from(e, (x) => x / sum);
        const others = targetsFor(V, 11).slice(0, 3);
        const targets = concat([reachable, ...others]);
        const bounds: HeadBoundRecord[] = await headBound(model, targets);
        // bf16 weights: the bound is solved on the weights as stored, the forward rounds.
        const slack = model.info.dtype === 'bfloat16' ? 5e-2 : 1e-3;
        expect(bounds[0].headBoundNats).toBeLessThan(slack);
        for (const b of bounds) {
          expect(b.converged).toBe(true);
          expect(b.bottleneckBoundNats!).toBeLessThanOrEqual(b.headBoundNats + 1e-12);
          expect(b.bottleneckStatus).not.toBe('unconverged');
          expect(b.sphereBoundNats!).toBeGreaterThanOrEqual(b.headBoundNats - b.gapNats - 1e-9);
        }
        const rows = await tune(model, { targets: concat(others), method: 'soft', inits: 2, maxEpochs: 40 });
        for (const r of rows) {
          expect(r.klNats).toBeGreaterThanOrEqual(
            bounds[1 + r.targetIndex].headBoundNats - bounds[1 + r.targetIndex].gapNats - slack,
          );
        }
      } finally {
        model.dispose();
      }
    });
  }
});
