// The fused softmax-KL and HotFlip top-k against plain references: float64 maths in this file
// (KL) and a brute-force full sort (HotFlip), on odd shapes and at the edges.
import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { hotflipTopK, klDivergence } from '../lib/kernels.js';
import { addonPath, native } from '../lib/native/index.js';
import { rng } from './helpers/dist.js';
import { relError as maxRel } from './helpers/golden.js';

function randomCase(rows: number, vocab: number, seed: number, scale = 3) {
  const r = rng(seed);
  const logits = Float32Array.from({ length: rows * vocab }, () => (r() * 2 - 1) * scale);
  const target = new Float32Array(rows * vocab);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let v = 0; v < vocab; v++) s += target[i * vocab + v] = Math.exp((r() * 2 - 1) * 2) * (r() < 0.1 ? 0 : 1);
    for (let v = 0; v < vocab; v++) target[i * vocab + v] /= s;
  }
  return { logits, target };
}

/** float64 reference: loss and gradient of Σ KL(p || softmax(z)). */
function reference(logits: Float32Array, target: Float32Array, rows: number, vocab: number) {
  const kl = new Float64Array(rows);
  const grad = new Float64Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[r * vocab + v]);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[r * vocab + v] - max);
    const lse = max + Math.log(sum);
    for (let v = 0; v < vocab; v++) {
      const p = target[r * vocab + v];
      const z = logits[r * vocab + v];
      if (p > 0) kl[r] += z === -Infinity ? Infinity : p * (Math.log(p) - (z - lse));
      grad[r * vocab + v] = Math.exp(z - lse) - p;
    }
  }
  return { kl, grad };
}

const shapes: [number, number][] = [
  [1, 2],
  [3, 7],
  [41, 1271],
  [2, 50257],
  [5, 131072],
  [300, 33],
  [4096, 16],
];

/**
 * The CPU KL's build is chosen once per process (kernels/kl_cpu.cc): on a CPU with AVX2 this process
 * runs that build, so the baseline one runs in a child with DISTPROMPT_NO_AVX2=1.
 */
function klInChild(cases: { rows: number; vocab: number; logits: number[]; target: number[] }[], dtype: string) {
  const script = `
    const a = require(process.argv[1]);
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const out = [];
      for (const c of cases) {
        const r = await a.klDivergence({ ...c, dtype: ${JSON.stringify(dtype)}, logits: Float32Array.from(c.logits),
          target: Float32Array.from(c.target) });
        out.push({ kl: [...r.klNats], grad: [...r.gradLogits] });
      }
      console.log(JSON.stringify({ kernel: a.buildInfo().klCpuKernel, out }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script, addonPath()], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    env: { ...process.env, DISTPROMPT_NO_AVX2: '1' },
    maxBuffer: 64 << 20,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { kernel: string; out: { kl: number[]; grad: number[] }[] };
}

describe('both CPU builds of the fused KL on vocabulary tails', () => {
  // Vocabularies that are not a multiple of the 8 or 16 lanes (the scalar tails), one that splits a
  // single row into chunks over the threads (over 4 × 2048), and several rows: checked under
  // AddressSanitizer too (scripts/check-sanitizers.sh), for reads past a row's end.
  const tails: [number, number][] = [
    [1, 9],
    [3, 17],
    [2, 33],
    [1, 2055],
    [1, 8199],
    [3, 8199],
  ];
  const cases = tails.map(([rows, vocab]) => ({ rows, vocab, ...randomCase(rows, vocab, rows * 7 + vocab) }));

  it.each(['float32', 'float64'] as const)(
    '%s: the baseline build and this process both match the reference',
    async (dtype) => {
      const tol = dtype === 'float32' ? 1e-4 : 1e-6;
      const child = klInChild(
        cases.map((c) => ({ rows: c.rows, vocab: c.vocab, logits: [...c.logits], target: [...c.target] })),
        dtype,
      );
      expect(child.kernel).toBe('baseline');
      for (const [i, c] of cases.entries()) {
        const ref = reference(c.logits, c.target, c.rows, c.vocab);
        const here = await klDivergence({ logits: c.logits, target: c.target, rows: c.rows, vocab: c.vocab, dtype });
        expect(maxRel(here.klNats, ref.kl), `${c.rows}×${c.vocab}`).toBeLessThan(tol);
        expect(maxRel(here.gradLogits, ref.grad), `${c.rows}×${c.vocab}`).toBeLessThan(tol);
        expect(maxRel(Float64Array.from(child.out[i].kl), ref.kl), `baseline ${c.rows}×${c.vocab}`).toBeLessThan(tol);
        expect(maxRel(Float64Array.from(child.out[i].grad), ref.grad), `baseline ${c.rows}×${c.vocab}`).toBeLessThan(
          tol,
        );
      }
    },
  );
});

describe('fused softmax-KL', () => {
  it.each(shapes)('float32 and float64 match the reference (%i rows × %i)', async (rows, vocab) => {
    const { logits, target } = randomCase(rows, vocab, rows * 31 + vocab);
    const ref = reference(logits, target, rows, vocab);
    const f32 = await klDivergence({ logits, target, rows, vocab });
    expect(maxRel(f32.klNats, ref.kl)).toBeLessThan(1e-4);
    expect(maxRel(f32.gradLogits, ref.grad)).toBeLessThan(1e-4);
    const f64 = await klDivergence({ logits, target, rows, vocab, dtype: 'float64' });
    expect(maxRel(f64.klNats, ref.kl)).toBeLessThan(1e-6);
    expect(maxRel(f64.gradLogits, ref.grad)).toBeLessThan(1e-6);
    // The tuner's forward: the target's own sums given, not summed per element.
    for (const [dtype, tol] of [
      ['float32', 1e-4],
      ['float64', 1e-6],
    ] as const) {
      const known = await native().klDivergence({ logits, target, rows, vocab, dtype, targetTerms: true });
      expect(maxRel(known.klNats, ref.kl), dtype).toBeLessThan(tol);
      expect(maxRel(known.gradLogits, ref.grad), dtype).toBeLessThan(tol);
    }
  });

  it('agrees with the unfused libtorch reference (log_softmax + autograd)', async () => {
    const rows = 17;
    const vocab = 999;
    const { logits, target } = randomCase(rows, vocab, 5);
    const fused = await klDivergence({ logits, target, rows, vocab, dtype: 'float64' });
    const unfused = await native().klDivergence({ logits, target, rows, vocab, dtype: 'float64', reference: true });
    expect(maxRel(fused.klNats, unfused.klNats)).toBeLessThan(1e-6);
    expect(maxRel(fused.gradLogits, unfused.gradLogits)).toBeLessThan(1e-6);
  });

  it('bfloat16 and float16 logits stay within their precision of the float32 result', async () => {
    const rows = 8;
    const vocab = 5000;
    const { logits, target } = randomCase(rows, vocab, 9);
    const ref = reference(logits, target, rows, vocab);
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const r = await klDivergence({ logits, target, rows, vocab, dtype });
      // bfloat16 keeps 8 bits of mantissa: logits of magnitude 3 move by up to ~0.012.
      for (let i = 0; i < rows; i++)
        expect(Math.abs(r.klNats[i] - ref.kl[i])).toBeLessThan(dtype === 'bfloat16' ? 0.03 : 0.005);
    }
  });

  it('edges: zeros in p, one-hot, uniform, huge logits, -inf where p = 0, mass on -inf', async () => {
    const vocab = 6;
    const rows = 6;
    const logits = Float32Array.from([
      1,
      2,
      3,
      4,
      5,
      6, // p with zeros
      1,
      2,
      3,
      4,
      5,
      6, // one-hot
      0,
      0,
      0,
      0,
      0,
      0, // uniform vs uniform: KL = 0
      1e4,
      -1e4,
      5e3,
      0,
      1e4,
      -3, // huge logits
      -Infinity,
      0,
      1,
      -Infinity,
      2,
      3, // -inf where p = 0
      -Infinity,
      0,
      1,
      2,
      3,
      4, // mass on a -inf logit
    ]);
    const target = Float32Array.from([
      0,
      0.5,
      0,
      0.5,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      1 / 6,
      1 / 6,
      1 / 6,
      1 / 6,
      1 / 6,
      1 / 6,
      0.25,
      0.25,
      0.25,
      0,
      0.25,
      0,
      0,
      0.5,
      0.5,
      0,
      0,
      0,
      0.5,
      0.5,
      0,
      0,
      0,
      0,
    ]);
    const ref = reference(logits, target, rows, vocab);
    for (const [dtype, targetTerms] of [
      ['float32', false],
      ['float64', false],
      ['float32', true],
      ['float64', true],
    ] as const) {
      const r = await native().klDivergence({ logits, target, rows, vocab, dtype, targetTerms });
      for (let i = 0; i < 5; i++) {
        expect(Number.isFinite(r.klNats[i])).toBe(true);
        expect(Math.abs(r.klNats[i] - ref.kl[i])).toBeLessThan(1e-4 * Math.max(1, ref.kl[i]));
      }
      expect(Math.abs(r.klNats[2])).toBeLessThan(1e-6);
      expect(r.klNats[5]).toBe(Infinity);
      for (let v = 0; v < vocab * 5; v++) expect(Number.isNaN(r.gradLogits[v])).toBe(false);
      expect(maxRel(r.gradLogits.subarray(0, vocab * 5), ref.grad.subarray(0, vocab * 5))).toBeLessThan(1e-5);
    }
  });

  it('bad input gets a clear error', async () => {
    await expect(
      klDivergence({ logits: new Float32Array(5), target: new Float32Array(6), rows: 2, vocab: 3 }),
    ).rejects.toThrow(/logits has 5 values; expected rows×vocab = 6/);
    await expect(
      klDivergence({ logits: new Float32Array(2), target: new Float32Array(2), rows: 2, vocab: 1 }),
    ).rejects.toThrow(/vocab must be an integer of at least 2/);
    await expect(
      klDivergence({
        logits: new Float32Array(4),
        target: Float32Array.from([0.5, 0.5, 0.5, 0.5]),
        rows: 2,
        vocab: 2,
        dtype: 'float8' as 'float32',
      }),
    ).rejects.toThrow("klDivergence: dtype must be one of float32, float64, bfloat16, float16, got 'float8'");
    const target = Float32Array.from([0.5, 0.5]);
    await expect(
      klDivergence({ logits: new Float32Array(2), target, rows: 1, vocab: 2, device: 'cpu', dtyp: 'float64' } as never),
    ).rejects.toThrow(/klDivergence: unknown field 'dtyp' \(known: logits, target, rows, vocab, dtype, device\)/);
    const [grad, current, embeddings] = [new Float32Array(2), new Float32Array(2), new Float32Array(6)];
    await expect(
      hotflipTopK({
        grad,
        current,
        embeddings,
        rows: 1,
        hidden: 2,
        vocab: 3,
        k: 1,
        ban: Int32Array.from([0]),
      } as never),
    ).rejects.toThrow(/hotflipTopK: unknown field 'ban' \(known: .*banned, device\)/);
  });

  it('a target that is not a distribution is refused with the errors tune() gives, not a KL of 0 or below', async () => {
    const logits = new Float32Array(6);
    const kl = (target: number[]) => klDivergence({ logits, target: Float32Array.from(target), rows: 2, vocab: 3 });
    await expect(kl([0.5, 0.5, 0, NaN, 0.5, 0.5])).rejects.toThrow(
      'target 1 is not a distribution: value NaN at token 0 is not finite',
    );
    await expect(kl([1.5, -0.5, 0, 1, 0, 0])).rejects.toThrow(
      'target 0 is not a distribution: value -0.5 at token 1 is negative',
    );
    await expect(kl([0.5, 0.5, 0, 0.5, 0, 0])).rejects.toThrow(
      'target 1 is not a distribution: it sums to 0.5, not 1 (within 1e-5)',
    );
    expect((await kl([0.5, 0.5, 0, 1, 0, 0])).klNats[1]).toBeCloseTo(Math.log(3), 5);
  });
});

describe('HotFlip top-k', () => {
  function hotflipCase(rows: number, hidden: number, vocab: number, seed: number, ties = false) {
    const r = rng(seed);
    const q = (x: number) => (ties ? Math.round(x * 2) / 2 : x); // coarse values make equal scores
    return {
      grad: Float32Array.from({ length: rows * hidden }, () => q(r() * 2 - 1)),
      current: Float32Array.from({ length: rows * hidden }, () => q(r() * 2 - 1)),
      embeddings: Float32Array.from({ length: vocab * hidden }, () => q(r() * 2 - 1)),
    };
  }

  /** Brute force in float64: every token's score, sorted by (score, id). */
  function brute(
    c: ReturnType<typeof hotflipCase>,
    rows: number,
    hidden: number,
    vocab: number,
    k: number,
    banned = new Set<number>(),
  ) {
    const out: { ids: number[]; scores: number[] }[] = [];
    for (let r = 0; r < rows; r++) {
      const s: [number, number][] = [];
      for (let x = 0; x < vocab; x++) {
        if (banned.has(x)) continue;
        let v = 0;
        for (let j = 0; j < hidden; j++)
          v += (c.embeddings[x * hidden + j] - c.current[r * hidden + j]) * c.grad[r * hidden + j];
        s.push([v, x]);
      }
      s.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      out.push({ ids: s.slice(0, k).map((e) => e[1]), scores: s.slice(0, k).map((e) => e[0]) });
    }
    return out;
  }

  it.each([
    [3, 16, 1000, 1],
    [5, 32, 5000, 10],
    [2, 8, 300, 300],
    [1, 64, 50257, 512],
  ])(
    'matches brute force over the whole vocabulary (%i rows, hidden %i, vocab %i, k %i)',
    async (rows, hidden, vocab, k) => {
      const c = hotflipCase(rows, hidden, vocab, vocab + k);
      const got = await hotflipTopK({ ...c, rows, hidden, vocab, k });
      const want = brute(c, rows, hidden, vocab, k);
      for (let r = 0; r < rows; r++) {
        expect(Array.from(got.ids.subarray(r * k, (r + 1) * k))).toEqual(want[r].ids);
        for (let j = 0; j < k; j++) expect(Math.abs(got.scores[r * k + j] - want[r].scores[j])).toBeLessThan(1e-4);
      }
    },
  );

  it('breaks ties towards the lower token id and never returns a banned token', async () => {
    const rows = 4;
    const hidden = 4;
    const vocab = 400;
    const c = hotflipCase(rows, hidden, vocab, 77, true);
    const banned = Int32Array.from({ length: 60 }, (_, i) => i * 5);
    const k = 40;
    const got = await hotflipTopK({ ...c, rows, hidden, vocab, k, banned });
    const want = brute(c, rows, hidden, vocab, k, new Set(banned));
    let ties = 0;
    for (let r = 0; r < rows; r++) {
      const ids = Array.from(got.ids.subarray(r * k, (r + 1) * k));
      expect(ids).toEqual(want[r].ids);
      expect(ids.some((id) => id % 5 === 0 && id < 300)).toBe(false);
      for (let j = 1; j < k; j++) if (want[r].scores[j] === want[r].scores[j - 1]) ties++;
    }
    expect(ties).toBeGreaterThan(0); // the case really has ties
  });

  it('rejects k outside 1..min(512, allowed tokens)', async () => {
    const c = hotflipCase(1, 4, 10, 1);
    await expect(hotflipTopK({ ...c, rows: 1, hidden: 4, vocab: 10, k: 0 })).rejects.toThrow(
      /k must be an integer in 1..10/,
    );
    await expect(
      hotflipTopK({ ...c, rows: 1, hidden: 4, vocab: 10, k: 9, banned: Int32Array.from([1, 2]) }),
    ).rejects.toThrow(/k must be an integer in 1..8/);
  });
});

const cuda = native().buildInfo().cudaDevices > 0;
if (!cuda) console.warn('NOTICE: CUDA kernel tests skipped: no CUDA device (CPU build or no GPU)');
describe.skipIf(!cuda)('CUDA kernels match the CPU ones', () => {
  it('fused KL (float32, bfloat16) and HotFlip', async () => {
    const rows = 64;
    const vocab = 50257;
    const { logits, target } = randomCase(rows, vocab, 3);
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const cpu = await klDivergence({ logits, target, rows, vocab, dtype });
      const gpu = await klDivergence({ logits, target, rows, vocab, dtype, device: 'cuda' });
      expect(maxRel(gpu.klNats, cpu.klNats)).toBeLessThan(dtype === 'float32' ? 1e-5 : 1e-2);
      expect(maxRel(gpu.gradLogits, cpu.gradLogits)).toBeLessThan(dtype === 'float32' ? 1e-5 : 1e-2);
    }
    const r = rng(4);
    const hidden = 64;
    const v = 4096;
    const c = {
      grad: Float32Array.from({ length: rows * hidden }, () => r() - 0.5),
      current: Float32Array.from({ length: rows * hidden }, () => r() - 0.5),
      embeddings: Float32Array.from({ length: v * hidden }, () => r() - 0.5),
    };
    const a = await hotflipTopK({ ...c, rows, hidden, vocab: v, k: 16 });
    const b = await hotflipTopK({ ...c, rows, hidden, vocab: v, k: 16, device: 'cuda' });
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
  });
});
