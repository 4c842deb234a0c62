// Values that reached native code unchecked and came back as NaN, garbage or a dead process: targets
// uploaded to the device, non-finite kernel inputs, and a batch too big for the memory there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fileURLToPath } from 'node:url';

import { headBound, hotflipTopK, klDivergence, loadModel, TargetError, tune, type Model } from '../lib/index.js';
import { native } from '../lib/native/index.js';
import { checkTargetRows, checkTargetTensor, entropyBitsOf } from '../lib/model/target-rows.js';
import { errorOf } from './helpers/rejection.js';

let model: Model;
beforeAll(async () => {
  model = await loadModel('random:micro', { tokenizer: false });
});
afterAll(() => model.dispose());

const V = 1000;
/** Two uniform rows, then `set` applied: a bad value or row where a test wants it. */
function table(set: (t: Float32Array) => void): Float32Array {
  const t = new Float32Array(2 * V).fill(1 / V);
  set(t);
  return t;
}
const upload = (data: Float32Array, rows = data.length / V) => native().uploadTensor({ data, shape: [rows, V] });

describe('targets uploaded to the device are checked as an array is', () => {
  // Before, an uploaded table of NaN, negative or unnormalised rows was tuned and bounded as given:
  // records of KL NaN or far below 0. Only per-row numbers come back from the device.
  const bad: [string, Float32Array, string][] = [
    ['NaN', table((t) => (t[V + 5] = NaN)), 'target 1 is not a distribution: value NaN at token 5 is not finite'],
    ['Infinity', table((t) => (t[7] = Infinity)), 'target 0 is not a distribution: value Infinity at token 7'],
    [
      'a negative',
      table((t) => (t[V + 1] = -0.5)),
      'target 1 is not a distribution: value -0.5 at token 1 is negative',
    ],
    ['a row summing to 2', table((t) => t.fill(2 / V, V)), 'target 1 is not a distribution: it sums to 2'],
    [
      'a bad sum before a bad value',
      table((t) => ((t[0] = 0.5), (t[V + 3] = NaN))),
      'target 0 is not a distribution: it sums to',
    ],
  ];

  it.each(bad)('tune() refuses %s with the Float32Array message', async (_, t, message) => {
    const tensor = await upload(t);
    try {
      const settings = { ban: 'none', maxEpochs: 1 } as const;
      const fromArray = await errorOf(() => tune(model, { targets: t, ...settings }));
      const fromTensor = await errorOf(() => tune(model, { targets: tensor, ...settings }));
      expect(fromArray.message).toContain(message);
      expect(fromTensor.message).toBe(fromArray.message);
      expect(fromTensor).toBeInstanceOf(TargetError);
    } finally {
      tensor.dispose();
    }
  });

  it('headBound and klGradient refuse one too', async () => {
    const t = table((t) => (t[V + 5] = NaN));
    const tensor = await upload(t);
    try {
      const message = 'target 1 is not a distribution: value NaN at token 5 is not finite';
      await expect(headBound(model, tensor)).rejects.toThrow(message);
      const embeds = new Float32Array(2 * 3 * model.info.hiddenSize);
      await expect(model.klGradient({ rows: 2, positions: 3, embeds, target: tensor })).rejects.toThrow(message);
    } finally {
      tensor.dispose();
    }
  });

  it('a good table tunes as its array does, with its entropy from the device', async () => {
    const t = table((t) => ((t[0] = 0.5), t.fill(0.5 / (V - 1), 1, V)));
    const tensor = await upload(t);
    try {
      const settings = { ban: 'none', maxEpochs: 2, inits: 1 } as const;
      const [a, b] = [
        await tune(model, { targets: t, ...settings }),
        await tune(model, { targets: tensor, ...settings }),
      ];
      // Summed on the device in another order: equal to ~1e-14, not to the last bit.
      b.forEach((r, i) => expect(r.targetEntropyBits).toBeCloseTo(a[i].targetEntropyBits, 10));
      expect(b.map((r) => r.klNats)).toEqual(a.map((r) => r.klNats));
    } finally {
      tensor.dispose();
    }
  });

  it('targetRowStats agrees with the array rule on odd shapes, and across its row blocks', async () => {
    // 2^23 + 1 tokens: a block of one row, so the second row's bad value is found in block 2.
    for (const [rows, vocab] of [
      [1, 2],
      [3, 7],
      [5, 1001],
      [2, 2 ** 23 + 1],
    ]) {
      const t = new Float32Array(rows * vocab);
      let s = 3;
      for (let i = 0; i < t.length; i++) t[i] = ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * (2 / vocab);
      const tensor = await native().uploadTensor({ data: t, shape: [rows, vocab] });
      // A host tensor and the array itself (read in place) are read alike.
      for (const stats of [native().targetRowStats(tensor), native().targetRowStats(t, vocab)]) {
        expect(stats.firstBad).toBe(-1);
        for (let r = 0; r < rows; r++) {
          const sum = t.subarray(r * vocab, (r + 1) * vocab).reduce((a, x) => a + x, 0);
          expect(stats.sums[r]).toBeCloseTo(sum, 9);
          expect(stats.entropyBits[r]).toBeCloseTo(entropyBitsOf(t, r * vocab, vocab), 6);
        }
      }
      tensor.dispose();
      t[t.length - 2] = -1;
      const bad = await native().uploadTensor({ data: t, shape: [rows, vocab] });
      for (const stats of [native().targetRowStats(bad), native().targetRowStats(t, vocab)])
        expect([stats.firstBad, stats.firstBadValue]).toEqual([t.length - 2, -1]);
      expect(() => checkTargetTensor(bad, vocab)).toThrow(`is not a distribution`);
      expect(() => checkTargetRows(t, vocab)).toThrow(`is not a distribution`);
      bad.dispose();
    }
  }, 60_000);

  it('targetRowStats names the first bad value in row order when a row spans several pieces of the host pass', () => {
    // The host pass reads a row in pieces of 2^16 values on several threads: the bad value in the
    // last piece of row 0 comes before the one at the start of row 1, whichever thread saw it first.
    const vocab = 2 ** 17 + 5;
    const t = new Float32Array(3 * vocab).fill(1 / vocab);
    t[2 ** 17 + 1] = NaN;
    t[vocab] = -2;
    const stats = native().targetRowStats(t, vocab);
    expect([stats.firstBad, stats.firstBadValue]).toEqual([2 ** 17 + 1, NaN]);
    expect(stats.sums[2]).toBeCloseTo(1, 6);
    expect(() => checkTargetRows(t, vocab)).toThrow(
      'target 0 is not a distribution: value NaN at token 131073 is not finite',
    );
    expect(() => native().targetRowStats(t.subarray(1), vocab)).toThrow('not a whole number of rows');
  });

  it('the array and the tensor rules name the same first problem', async () => {
    const t = table((t) => ((t[V + 2] = -Infinity), (t[V + 9] = NaN)));
    const tensor = await upload(t);
    expect(() => checkTargetTensor(tensor, V)).toThrow('target 1 is not a distribution: value -Infinity at token 2');
    expect(() => checkTargetRows(t, V)).toThrow('target 1 is not a distribution: value -Infinity at token 2');
    tensor.dispose();
  });
});

describe('the kernels refuse inputs that make NaN', () => {
  const rows = 2;
  const vocab = 4;
  const target = Float32Array.from([0.5, 0.5, 0, 0, 0.25, 0.25, 0.25, 0.25]);
  const logits = (set: (z: Float32Array) => void) => {
    const z = new Float32Array(rows * vocab);
    set(z);
    return z;
  };

  // Before, each gave a klNats of NaN (and a gradient of NaN) without an error.
  it.each([
    ['NaN', logits((z) => (z[5] = NaN)), 'logits[5] is NaN: logits must hold finite numbers'],
    ['Infinity', logits((z) => (z[2] = Infinity)), 'logits[2] is Infinity: logits must hold finite numbers'],
    ['a row all -Infinity', logits((z) => z.fill(-Infinity, 4)), 'logits of row 1 are all -Infinity'],
  ])('klDivergence refuses logits with %s, naming the index', async (_, z, message) => {
    await expect(klDivergence({ logits: z, target, rows, vocab })).rejects.toThrow(message);
  });

  it('klDivergence takes -Infinity for a token given no probability, exactly', async () => {
    const z = logits((z) => (z[3] = -Infinity));
    const { klNats, gradLogits } = await klDivergence({ logits: z, target, rows, vocab });
    expect(klNats[0]).toBeCloseTo(Math.log(1.5), 6); // KL([½,½,0,0] || [⅓,⅓,⅓,0])
    expect(klNats[1]).toBeCloseTo(0, 6);
    expect(gradLogits[3]).toBe(0);
  });

  const hidden = 3;
  const ok = { rows: 1, hidden, vocab: 5, k: 2 };
  const finite = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 3) - 1);
  it.each(['grad', 'current', 'embeddings'] as const)('hotflipTopK refuses a NaN or Infinity in %s', async (key) => {
    const a = { ...ok, grad: finite(hidden), current: finite(hidden), embeddings: finite(5 * hidden) };
    for (const x of [NaN, Infinity, -Infinity]) {
      const bad = { ...a, [key]: a[key].slice() };
      bad[key][2] = x;
      await expect(hotflipTopK(bad)).rejects.toThrow(`${key}[2] is ${x}: ${key} must hold finite numbers`);
    }
    await expect(hotflipTopK(a)).resolves.toBeDefined();
  });
});

describe('a batch too big for the memory free is refused before it is allocated', () => {
  // Before, logits() of a batch whose logits (rows × vocab float32) outgrow the memory asked
  // libtorch for them all the same. A 64 MB cap stands for a small machine here; nothing may be
  // allocated for a refused call.
  beforeAll(() => native().setCpuMemoryLimit(64 * 2 ** 20));
  afterAll(() => native().setCpuMemoryLimit(0));
  const ids = (rows: number) => ({ ids: new Int32Array(rows * 2) });
  it.each([
    ['logits', 20_000, ids], // 20,000 × 1,000 float32 logits: 80 MB, held twice
    ['hidden', 50_000, ids],
    ['embed', 200_000, ids],
    [
      'klGradient',
      2_000,
      (rows: number) => ({ embeds: new Float32Array(rows * 2 * 32), target: new Float32Array(rows * V).fill(1 / V) }),
    ],
  ] as const)('%s of %i rows names the sizes and what to do', async (what, rows, input) => {
    const call = model[what].bind(model) as (a: object) => Promise<unknown>;
    const before = native().memoryStats('cpu');
    await expect(call({ rows, positions: 2, ...input(rows) })).rejects.toThrow(
      new RegExp(
        `^${what}: ${rows} rows × 2 positions need about [\\d.]+ MB on cpu, ` +
          'more than the [\\d.]+ MB of memory free there: pass fewer rows at a time$',
      ),
    );
    const after = native().memoryStats('cpu');
    expect([after.allocatedBytes, after.peakBytes]).toEqual([before.allocatedBytes, before.peakBytes]);
  });

  it('a batch that fits still runs', async () => {
    const out = await model.logits({ rows: 4, positions: 2, ids: new Int32Array(8) });
    expect(out.length).toBe(4 * V);
  });
});

describe('sizes and seeds from JavaScript are checked before native arithmetic uses them', () => {
  // Found under UBSan (scripts/check-sanitizers.sh): rows × vocab past int64 overflowed (undefined
  // behaviour; it could wrap to the array's length), two negative sizes multiplied to the array's
  // length, and a seed of -1, NaN or 1e300 was cast to an unsigned integer (undefined behaviour: a
  // target from whatever seed the cast made). The native calls throw as they are made.
  const empty = new Float32Array(0);
  const messageOf = async (call: () => unknown) => (await errorOf(call)).message;

  it('a shape whose count overflows is refused, naming the array', async () => {
    const kl = () => native().klDivergence({ logits: empty, target: empty, rows: 2 ** 32, vocab: 2 ** 32 });
    expect(await messageOf(kl)).toBe('logits shape 4294967296×4294967296 holds more values than an array can');
    const tensor = () => native().tensorFromArray({ data: empty, shape: [2 ** 40, 2 ** 40] });
    expect(await messageOf(tensor)).toBe('data shape 1099511627776×1099511627776 holds more values than an array can');
    const candidates = () =>
      native().klCandidates({ logits: empty, target: empty, rows: 2 ** 40, vocab: 2, candidates: 2 ** 40 });
    expect(await messageOf(candidates)).toBe(
      'klCandidates: rows × candidates = 1099511627776 × 1099511627776 holds more rows than an array can',
    );
    const n = 4096;
    const outliers = () =>
      native().synthesizeEntropyTargets({
        vocab: 8,
        seeds: new Float64Array(n),
        entropyNats: new Float64Array(n).fill(1),
        method: 'gradient',
        outliers: new Int32Array(0),
        outlierCount: 2 ** 52,
        minMass: new Float64Array(n),
      });
    expect(await messageOf(outliers)).toBe('outliers has 0 ids; expected targets×outlierCount = 4096×4503599627370496');
  });

  it('negative sizes are refused even where their product is the array length', async () => {
    const tensor = () => native().tensorFromArray({ data: new Float32Array(4), shape: [-2, -2] });
    expect(await messageOf(tensor)).toBe('data shape -2×-2 has a negative size');
    const six = new Float32Array(6);
    const hotflip = () =>
      native().hotflipTopK({ grad: six, current: six, embeddings: six, rows: -2, hidden: -3, vocab: -2, k: 1 });
    expect(await messageOf(hotflip)).toBe('grad shape -2×-3 has a negative size');
  });

  it('a fractional size is refused rather than read as its integer part', async () => {
    // Int64Value() read a vocabulary or shape entry of 2.5 as 2: a table of 6 values became 3 rows of 2.
    const six = new Float32Array(6).fill(1 / 2);
    expect(() => native().targetRowStats(six, 2.5)).toThrow('targetRowStats(array, vocab): vocab must be an integer');
    expect(() => native().targetRowStats(six, NaN)).toThrow('vocab must be an integer');
    const tensor = () => native().tensorFromArray({ data: six, shape: [2.5, 2.4] });
    expect(await messageOf(tensor)).toBe('tensorFromArray({ data, shape, device }): shape must be an integer');
    const notArray = () => native().tensorFromArray({ data: six, shape: 6 as unknown as number[] });
    expect(await messageOf(notArray)).toBe('tensorFromArray({ data, shape, device }): shape must be an array');
  });

  it("a checkpoint tensor's shape whose count wraps is refused, not matched to a short span", async () => {
    // 2^32 × 2^32 wrapped to 0 values, which matched an empty span [0, 0) and went on to allocate.
    const { config } = model.info;
    const load = (shape: number[]) => () =>
      native().loadModel({
        config,
        device: 'cpu',
        dtype: 'float32',
        files: [
          { path: fileURLToPath(import.meta.url), tensors: [{ name: 'w', dtype: 'F32', shape, begin: 0, end: 0 }] },
        ],
      });
    expect(await messageOf(load([2 ** 32, 2 ** 32, 3]))).toMatch(
      /tensor 'w': shape \[4294967296, 4294967296, 3\] holds more values than memory can$/,
    );
    expect(await messageOf(load([2 ** 31, 2 ** 31, 2]))).toMatch(/holds more bytes than memory can$/);
    expect(await messageOf(load([3.5]))).toBe("tensor 'w': shape must be an integer");
  });

  it.each([NaN, Infinity, 1e300, 2.5])('an integer option of %s is refused before it is cast', async (rows) => {
    const kl = () => native().klDivergence({ logits: empty, target: empty, rows, vocab: 2 });
    expect(await messageOf(kl)).toBe("option 'rows' must be an integer");
  });

  it.each([
    [-1, '-1'],
    [NaN, 'nan'],
    [1e300, '1e\\+300'],
    [0.5, '0.5'],
  ])('a target seed of %s is refused before it is cast', async (seed, shown) => {
    const synthesize = () =>
      native().synthesizeEntropyTargets({
        vocab: 8,
        seeds: Float64Array.of(seed),
        entropyNats: Float64Array.of(1),
        method: 'gradient',
      });
    expect(await messageOf(synthesize)).toMatch(
      new RegExp(`^seeds holds ${shown}, not a non-negative integer below 2\\^53$`),
    );
  });
});
