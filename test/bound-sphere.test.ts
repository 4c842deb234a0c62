// The sphere value and the bottleneck against independent solvers written plainly here, in
// float64: a fine grid over the circle (d = 2, and LayerNorm's circle at d = 3) and over the
// sphere (d = 3), refined by zooming; a multi-start Riemannian descent for d = 8; a dense Newton
// for the bottleneck, and a one-dimensional search for a bottleneck whose infimum lies at ‖s‖ → ∞.
import { describe, expect, it } from 'vitest';

import { headBoundOf, type HeadSpec } from '../lib/bound/index.js';
import { klAt, solveLinear, type PlainHead } from './helpers/bound-reference.js';
import { gauss, makeHead, noisyTarget } from './helpers/bound-heads.js';
import { rng } from './helpers/dist.js';

const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, x) => a + x, 0);
  return e.map((x) => x / s);
};
const logitsAt = (h: PlainHead, s: number[]) =>
  Array.from({ length: h.V }, (_, v) => s.reduce((a, x, i) => a + x * h.W[v * h.d + i], h.bias?.[v] ?? 0));
/** The hidden state the norm outputs for c. */
const hiddenOf = (h: PlainHead, c: number[]) => c.map((x, i) => (h.gamma?.[i] ?? 1) * x + (h.beta?.[i] ?? 0));
const klOfC = (h: PlainHead, p: number[], c: number[]) => klAt(h, p, hiddenOf(h, c));

/** min over a closed curve or surface given by a chart, by a grid then repeated zooms around the best points. */
function gridMin(f: (t: number[]) => number, ranges: [number, number][], steps: number[], keep = 6): number {
  type Pt = { t: number[]; v: number };
  const grid = (lo: number[], hi: number[], n: number[]) => {
    const pts: Pt[] = [];
    const rec = (i: number, t: number[]) => {
      if (i === lo.length) {
        pts.push({ t: [...t], v: f(t) });
        return;
      }
      for (let k = 0; k <= n[i]; k++) rec(i + 1, [...t, lo[i] + ((hi[i] - lo[i]) * k) / n[i]]);
    };
    rec(0, []);
    return pts.sort((a, b) => a.v - b.v);
  };
  let best = grid(
    ranges.map((r) => r[0]),
    ranges.map((r) => r[1]),
    steps,
  ).slice(0, keep);
  let width = ranges.map((r, i) => (r[1] - r[0]) / steps[i]);
  for (let zoom = 0; zoom < 12; zoom++) {
    const next: Pt[] = [];
    for (const b of best)
      next.push(
        ...grid(
          b.t.map((x, i) => x - 2 * width[i]),
          b.t.map((x, i) => x + 2 * width[i]),
          b.t.map(() => 8),
        ).slice(0, 2),
      );
    best = next.sort((a, b) => a.v - b.v).slice(0, keep);
    width = width.map((w) => w / 2);
  }
  return best[0].v;
}

/** The sphere ‖c‖ = √d (in Σc = 0 for LayerNorm) for d = 2, 3 by a chart, minimised on a grid. */
function referenceSphere(h: PlainHead, p: number[]): number {
  const r = Math.sqrt(h.d);
  if (h.d === 2 && h.norm === 'rmsnorm')
    return gridMin((t) => klOfC(h, p, [r * Math.cos(t[0]), r * Math.sin(t[0])]), [[0, 2 * Math.PI]], [4000]);
  if (h.d === 3 && h.norm === 'layernorm') {
    const u = [1 / Math.SQRT2, -1 / Math.SQRT2, 0];
    const w = [1 / Math.sqrt(6), 1 / Math.sqrt(6), -2 / Math.sqrt(6)];
    return gridMin(
      (t) =>
        klOfC(
          h,
          p,
          u.map((x, i) => r * (Math.cos(t[0]) * x + Math.sin(t[0]) * w[i])),
        ),
      [[0, 2 * Math.PI]],
      [4000],
    );
  }
  if (h.d === 3 && h.norm === 'rmsnorm')
    return gridMin(
      (t) =>
        klOfC(h, p, [r * Math.sin(t[0]) * Math.cos(t[1]), r * Math.sin(t[0]) * Math.sin(t[1]), r * Math.cos(t[0])]),
      [
        [0, Math.PI],
        [0, 2 * Math.PI],
      ],
      [200, 400],
    );
  throw new Error('no chart');
}

/** d = 8: plain Riemannian gradient descent from many random starts (halving steps, retraction). */
function multiStartSphere(h: PlainHead, p: number[], starts: number, seed: number): number {
  const r = Math.sqrt(h.d);
  const centred = h.norm === 'layernorm';
  const sub = (x: number[]) => {
    if (!centred) return x;
    const m = x.reduce((a, y) => a + y, 0) / x.length;
    return x.map((y) => y - m);
  };
  const onSphere = (x: number[]) => {
    const y = sub(x);
    const n = Math.hypot(...y);
    return y.map((v) => (v * r) / n);
  };
  const grad = (c: number[]) => {
    const q = softmax(logitsAt(h, hiddenOf(h, c)));
    const g = c.map((_, i) => {
      let s = 0;
      for (let v = 0; v < h.V; v++) s += h.W[v * h.d + i] * (q[v] - p[v]);
      return s * (h.gamma?.[i] ?? 1);
    });
    const pg = sub(g);
    const along = pg.reduce((a, x, i) => a + x * c[i], 0) / (r * r);
    return pg.map((x, i) => x - along * c[i]);
  };
  const rand = rng(seed);
  let best = Infinity;
  for (let k = 0; k < starts; k++) {
    let c = onSphere(Array.from({ length: h.d }, () => gauss(rand)));
    let f = klOfC(h, p, c);
    let step = 0.5;
    for (let it = 0; it < 4000 && step > 1e-14; it++) {
      const g = grad(c);
      const next = onSphere(c.map((x, i) => x - step * g[i]));
      const fn = klOfC(h, p, next);
      if (fn < f) {
        c = next;
        f = fn;
        step *= 1.2;
      } else step /= 2;
    }
    best = Math.min(best, f);
  }
  return best;
}

describe('the sphere value against a grid (d = 2, 3) and a multi-start descent (d = 8)', () => {
  const cases: [string, number, number, 'layernorm' | 'rmsnorm', boolean][] = [
    ['rmsnorm d=2', 23, 2, 'rmsnorm', false],
    ['rmsnorm d=2 with bias', 19, 2, 'rmsnorm', true],
    ['layernorm d=3', 17, 3, 'layernorm', false],
    ['layernorm d=3 with bias', 21, 3, 'layernorm', true],
    ['rmsnorm d=3', 20, 3, 'rmsnorm', false],
    ['rmsnorm d=3 with bias', 20, 3, 'rmsnorm', true],
    ['layernorm d=8 with bias', 40, 8, 'layernorm', true],
    ['rmsnorm d=8', 40, 8, 'rmsnorm', false],
  ];
  for (const [name, V, d, norm, bias] of cases) {
    it(name, async () => {
      const c = makeHead(V, d, norm, bias, V * 13 + d + (bias ? 1 : 0));
      // Near-uniform targets (the ball's optimum inside) and a peaked one (on the sphere).
      const targets = [noisyTarget(V, 0.05, 1), noisyTarget(V, 0.2, 2), noisyTarget(V, 4, 3)];
      const got = await headBoundOf(c.head, Float32Array.from(targets.flat()));
      targets.forEach((p, i) => {
        const g = got[i];
        const want = d === 8 ? multiStartSphere(c.plain, p, 40, 7 + i) : referenceSphere(c.plain, p);
        // The search finds the minimum the independent solver finds, and nothing below it; on the
        // sphere already, the ball's value, within its certificate.
        const slack = g.onBoundary ? g.gapNats : 0;
        expect(Math.abs(g.sphereBoundNats! - want)).toBeLessThanOrEqual(slack + 2e-6 + 1e-6 * want);
        // ball ≤ sphere, equal where the ball's optimum is on the sphere.
        expect(g.sphereBoundNats!).toBeGreaterThanOrEqual(g.headBoundNats - g.gapNats - 1e-9);
        if (g.onBoundary) {
          expect(g.sphereStarts).toBe(0);
          expect(g.sphereBoundNats).toBe(g.headBoundNats);
        } else {
          expect(g.sphereStarts!).toBeGreaterThanOrEqual(1);
          expect(g.sphereResidual!).toBeLessThanOrEqual(1e-6);
        }
      });
      // The near-uniform targets are what they are meant to be: the ball's optimum inside.
      expect(got.slice(0, 2).map((g) => g.onBoundary)).toEqual([false, false]);
      expect(got[0].sphereBoundNats!).toBeGreaterThan(got[0].headBoundNats + 1e-4);
    });
  }

  it('is 0 for a target made from a point on the sphere, and above 0 for one made from a point inside', async () => {
    const V = 30;
    const d = 5;
    const c = makeHead(V, d, 'layernorm', true, 5);
    const r = rng(9);
    const raw = Array.from({ length: d }, () => gauss(r));
    const m = raw.reduce((a, x) => a + x, 0) / d;
    const dir = raw.map((x) => x - m);
    const n = Math.hypot(...dir);
    const at = (scale: number) =>
      softmax(
        logitsAt(
          c.plain,
          hiddenOf(
            c.plain,
            dir.map((x) => (x / n) * scale * Math.sqrt(d)),
          ),
        ),
      );
    const [on, inside] = await headBoundOf(c.head, Float32Array.from([...at(1), ...at(0.3)]));
    expect(on.sphereBoundNats!).toBeLessThanOrEqual(1e-6);
    expect(on.headBoundNats).toBeLessThanOrEqual(1e-6);
    expect(inside.headBoundNats).toBeLessThanOrEqual(1e-6);
    expect(inside.onBoundary).toBe(false);
    expect(inside.sphereBoundNats!).toBeGreaterThan(1e-3);
  });

  it('is skipped with sphere: false, and the random starts are an option', async () => {
    const c = makeHead(20, 3, 'rmsnorm', false, 3);
    const p = Float32Array.from(noisyTarget(20, 0.05, 1));
    const [off] = await headBoundOf(c.head, p, { sphere: false });
    expect(off.sphereBoundNats).toBeNull();
    const [none] = await headBoundOf(c.head, p, { sphereRandomStarts: 0 });
    const [many] = await headBoundOf(c.head, p, { sphereRandomStarts: 6 });
    expect(none.sphereStarts!).toBeLessThanOrEqual(4);
    expect(many.sphereStarts!).toBeLessThanOrEqual(16);
    expect(Math.abs(none.sphereBoundNats! - many.sphereBoundNats!)).toBeLessThanOrEqual(1e-6);
    await expect(headBoundOf(c.head, p, { sphereRandomStarts: -1 })).rejects.toThrow(/sphereRandomStarts/);
  });
});

/** The bottleneck without a norm: damped Newton with a dense Hessian in plain float64. */
function newtonBottleneck(h: PlainHead, p: number[]): number {
  const d = h.d;
  let s = Array(d).fill(0) as number[];
  let f = klAt(h, p, s);
  for (let it = 0; it < 200; it++) {
    const q = softmax(logitsAt(h, s));
    const mean = Array.from({ length: d }, (_, i) => q.reduce((a, x, v) => a + x * h.W[v * d + i], 0));
    const g = Array.from({ length: d }, (_, i) => mean[i] - p.reduce((a, x, v) => a + x * h.W[v * d + i], 0));
    const H = Array.from({ length: d }, (_, i) =>
      Array.from(
        { length: d },
        (_, j) => q.reduce((a, x, v) => a + x * h.W[v * d + i] * h.W[v * d + j], 0) - mean[i] * mean[j],
      ),
    );
    const step = solveLinear(H, g);
    let t = 1;
    let next = s;
    let fn = f;
    for (; t > 1e-12; t /= 2) {
      next = s.map((x, i) => x - t * step[i]);
      fn = klAt(h, p, next);
      if (fn <= f) break;
    }
    if (f - fn < 1e-15) break;
    s = next;
    f = fn;
  }
  return f;
}

describe('the bottleneck, solved to its minimum or its limit', () => {
  it('reaches the minimum a dense Newton finds, for targets with and without zeros', async () => {
    const V = 25;
    const d = 4;
    const c = makeHead(V, d, 'rmsnorm', true, 41);
    const peaked = noisyTarget(V, 3, 4);
    const flat = noisyTarget(V, 0.5, 5);
    // One zero among many tokens: Wᵀp stays inside the hull, the minimum is attained.
    const oneZero = noisyTarget(V, 1, 6);
    oneZero[3] = 0;
    const sum = oneZero.reduce((a, x) => a + x, 0);
    const withZero = oneZero.map((x) => x / sum);
    const targets = [peaked, flat, withZero];
    const got = await headBoundOf(c.head, Float32Array.from(targets.flat()));
    targets.forEach((p, i) => {
      const want = newtonBottleneck(c.plain, p);
      expect(got[i].bottleneckStatus).toBe('minimum');
      expect(got[i].bottleneckConverged).toBe(true);
      expect(got[i].bottleneckGradNorm!).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(got[i].bottleneckBoundNats! - want)).toBeLessThanOrEqual(1e-7 + 1e-6 * want);
    });
  });

  it('reports the limit where the infimum needs ‖s‖ → ∞ (support on a face of the hull of W rows)', async () => {
    // d = 2: eight points inside the unit disc, and three on the line x = 2 — a face of the hull,
    // exposed by u = (1, 0). A target on those three: as s_x → ∞ the rest loses its mass, and the
    // infimum is the best distribution the face can make, over s_y alone.
    const r = rng(77);
    const inner: number[][] = Array.from({ length: 8 }, () => {
      const a = 2 * Math.PI * r();
      const rad = 0.9 * Math.sqrt(r());
      return [rad * Math.cos(a), rad * Math.sin(a)];
    });
    const face = [
      [2, -1],
      [2, 0],
      [2, 1],
    ];
    const rows = [...inner, ...face];
    const V = rows.length;
    const W = Float32Array.from(rows.flat());
    const head: HeadSpec = { W, vocab: V, hidden: 2, norm: 'rmsnorm' };
    const pFace = [0.2, 0.2, 0.6];
    const p = [...Array(8).fill(0), ...pFace];
    const oneHot = [...Array(V - 1).fill(0), 1];
    const [limit, vertex] = await headBoundOf(head, Float32Array.from([...p, ...oneHot]));
    // Independent: min over y of KL(pFace || softmax(y · (−1, 0, 1))), by a zooming grid.
    const want = gridMin(
      (t) => {
        const q = softmax([-t[0], 0, t[0]]);
        return pFace.reduce((a, x, v) => a + x * Math.log(x / q[v]), 0);
      },
      [[-20, 20]],
      [4000],
    );
    expect(want).toBeGreaterThan(0.01);
    expect(limit.bottleneckStatus).toBe('limit');
    expect(Math.abs(limit.bottleneckBoundNats! - want)).toBeLessThanOrEqual(1e-5);
    // A vertex of the hull: its one-hot is approached (KL → 0), never reached.
    expect(vertex.bottleneckStatus).toBe('limit');
    expect(vertex.bottleneckBoundNats!).toBeLessThanOrEqual(1e-5);
  });

  it('names no value a bound when the search meets neither a minimum nor its limit', async () => {
    const c = makeHead(30, 4, 'rmsnorm', false, 8);
    const p = noisyTarget(30, 6, 2);
    const [r] = await headBoundOf(c.head, Float32Array.from(p), { bottleneckIterations: 1, gradTol: 1e-12 });
    expect(r.bottleneckStatus).toBe('unconverged');
    expect(r.bottleneckBoundNats).toBeNull();
    expect(r.bottleneckConverged).toBe(false);
  });
});
