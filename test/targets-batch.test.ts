// Vanilla and outlier targets are the same bits whichever batch made them. The solvers step only
// the rows still running (native/targets/vanilla_outlier.cc): they must make exactly what the plain
// solver, every row stepped until the last has finished, makes, and what the library made before.
import { describe, expect, it } from 'vitest';

import { TARGET_DEFAULTS } from '../lib/spec/defaults.js';
import { native } from '../lib/native/index.js';
import { synthesizeTargets, type SynthesisRequest } from '../lib/targets/index.js';

const LN2 = Math.log(2);

const rowsOf = (a: Float32Array, vocab: number) =>
  Array.from({ length: a.length / vocab }, (_, r) => a.subarray(r * vocab, (r + 1) * vocab));

/** The addon's solver itself, sub-batched or plain, on the given seeds. */
async function solve(
  vocab: number,
  hBits: number[],
  subBatch: boolean,
  o: { method?: 'gradient' | 'temperature'; outliers?: number } = {},
) {
  const k = o.outliers ?? 0;
  const r = await native().synthesizeEntropyTargets({
    vocab,
    seeds: Float64Array.from(hBits, (_, i) => 1000 + i),
    entropyNats: Float64Array.from(hBits, (h) => h * LN2),
    method: o.method ?? 'gradient',
    eps: (o.method === 'temperature' ? 1e-6 : 0.01) * LN2,
    subBatch,
    ...(k > 0
      ? {
          outliers: Int32Array.from({ length: hBits.length * k }, (_, i) => (i * 7919) % vocab),
          outlierCount: k,
          minMass: Float64Array.from(hBits, () => 0.1),
          alpha: 100,
          beta: 1,
        }
      : {}),
  });
  const probs = await r.targets.read();
  r.targets.dispose();
  return {
    probs,
    iterations: Array.from(r.iterations),
    entropyNats: r.entropyNats,
    converged: Array.from(r.converged),
  };
}

describe('the sub-batched solvers make what the plain ones make, bit for bit', () => {
  const log2 = Math.log2;
  it.each([
    // odd shapes: a lone row, a three-token vocabulary, a vocabulary that is no multiple of any vector width
    ['gradient', 3, [1]],
    ['gradient', 3, [0.2, log2(3), 1.2, 0]],
    ['gradient', 1001, [0.3, 2, 5, 9, 7, 4, 1]],
    ['gradient', 50257, [log2(50257), 0.5, 9, 15]],
    ['gradient', 128256, [0, 0.8, 3, 9, 15, log2(128256)]],
    ['temperature', 1001, [0.3, 2, 5, 9, 0]],
    ['temperature', 128256, [6, 0.5, log2(128256), 14]],
    ['outlier', 1001, [2, 4, 8]],
    ['outlier', 50257, [2, 6, 12]],
  ] as const)('%s, V = %i, entropies %j', async (kind, vocab, hBits) => {
    const o = kind === 'outlier' ? { outliers: 2 } : { method: kind };
    const sub = await solve(vocab, [...hBits], true, o);
    const plain = await solve(vocab, [...hBits], false, o);
    expect(sub.converged.every((c) => c === 1)).toBe(true);
    expect(sub.iterations).toEqual(plain.iterations);
    expect(Buffer.from(sub.entropyNats.buffer).equals(Buffer.from(plain.entropyNats.buffer))).toBe(true);
    expect(Buffer.from(sub.probs.buffer).equals(Buffer.from(plain.probs.buffer))).toBe(true);
    // The ends are made exactly, with no steps.
    hBits.forEach((h, i) => {
      if (kind !== 'outlier' && (h === 0 || h === log2(vocab))) expect(sub.iterations[i]).toBe(0);
    });
  });
});

/**
 * Entropy and Σ p·i of rows the library made before its solvers were sub-batched (the same
 * seeds: a request's target ids). Recorded on one CPU; another CPU's kernels sum in another
 * order, and the gradient solver's 100–250 steps carry that on (measured: ATen's AVX2 kernels
 * 3e-5 bits and Σ p·i 1.1 apart, one AMD EPYC's AVX-512 ones 1.2e-5 bits, another AMD EPYC's
 * 1.1e-4 bits and Σ p·i 4e-6 of itself at 4 bits), so the records hold to a tenth of the solver's
 * own tolerance (0.01 bits); the bits themselves are compared within one CPU above.
 */
const RECORDED: [number, SynthesisRequest, [number, number][]][] = [
  [
    128256,
    { kind: 'vanilla', entropyBits: [1, 4, 8, 12, 16], seed: 1 },
    [
      [1.0078528165775567, 39296.43024699508],
      [4.00402818863985, 59202.74519851402],
      [7.992475437042133, 65084.438432782554],
      [12.00655738748612, 64494.236462587374],
      [16.000426560939506, 63887.43551409962],
    ],
  ],
  [
    128256,
    { kind: 'vanilla', method: 'temperature', entropyBits: [0, 0.5, 6, 14, Math.log2(128256)], seed: 1 },
    [
      [0, 94067],
      [0.5062236235520156, 37395.89063423027],
      [5.997195323416741, 51841.61106798824],
      [13.993675204501564, 65000.49865647202],
      [16.968666871517808, 64127.4998954466],
    ],
  ],
  [
    50257,
    { kind: 'outlier', entropyBits: [1, 5, 10], outliers: 1, seed: 2 },
    [
      [1.0002031142585044, 35803.74271472431],
      [4.99836617855598, 23873.977670626875],
      [9.999296962401626, 24742.141134061625],
    ],
  ],
];

const indexSum = (p: Float32Array) => p.reduce((s, x, i) => s + x * i, 0);

describe('a target is the same bits made in one batch, alone, or in another batch', () => {
  const [hTol, iTol] = [TARGET_DEFAULTS.epsBits / 10, 1e-4];

  it.each(RECORDED)('V = %i, %j: as recorded before sub-batching', async (vocab, request, recorded) => {
    const set = await synthesizeTargets({ vocabSize: vocab }, request);
    rowsOf(set.toArray(), vocab).forEach((p, i) => {
      const [h, sum] = recorded[i];
      expect(Math.abs(set.meta[i].entropyBits - h)).toBeLessThanOrEqual(hTol);
      expect(Math.abs(indexSum(p) - sum)).toBeLessThanOrEqual(iTol * sum);
    });
    set.dispose();
  });

  it.each([
    [128256, 'vanilla', [1, 4, 8, 12, 16], [16, 2.5, 8]],
    [50257, 'vanilla', [2, 9, 15], [9, 0.5]],
    [50257, 'outlier', [1, 5, 10], [10, 5, 3]],
  ] as const)('V = %i, %s', async (vocab, kind, batch, other) => {
    const make = async (entropyBits: number[]) => {
      const set = await synthesizeTargets({ vocabSize: vocab }, { kind, entropyBits, seed: 5 });
      const rows = new Map(rowsOf(set.toArray(), vocab).map((p, i) => [entropyBits[i], Buffer.from(p.slice().buffer)]));
      set.dispose();
      return rows;
    };
    const inBatch = await make([...batch]);
    const inOther = await make([...other]);
    for (const h of other) {
      if (!inBatch.has(h)) continue;
      const alone = await make([h]);
      expect(alone.get(h)!.equals(inBatch.get(h)!), `h = ${h} alone`).toBe(true);
      expect(inOther.get(h)!.equals(inBatch.get(h)!), `h = ${h} in another batch`).toBe(true);
    }
  });
});
