// Target synthesis: every kind hits what it promises, reproducibly from its seed.
import { beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { entropyBits, klNats, outlierMassBound, synthesizeTargets, validateTargets } from '../lib/targets/index.js';
import { softmaxRow } from './helpers/dist.js';
import { scratchDirs } from './helpers/cli.js';

const tmp = scratchDirs('tfile');

const rowsOf = (a: Float32Array, vocab: number) =>
  Array.from({ length: a.length / vocab }, (_, r) => a.subarray(r * vocab, (r + 1) * vocab));

describe('vanilla targets (Eq. 1 and the temperature method)', () => {
  it.each([
    [1000, 'gradient', [0, 0.5, 3, 6, 9, Math.log2(1000)]],
    [1000, 'temperature', [0, 0.05, 4.5, 9.9, Math.log2(1000)]],
    [50257, 'temperature', [0, 1, 8, 15, Math.log2(50257)]],
    [50257, 'gradient', [2, 12]],
    [128256, 'temperature', [0, 2.5, 3, 6.5, 16.9, Math.log2(128256)]],
  ] as const)('V = %i, %s: every requested entropy within ε, both ends exact', async (vocab, method, grid) => {
    const set = await synthesizeTargets(
      { vocabSize: vocab },
      // The temperature method is exact when asked (by default a target is within the spec's eps).
      { kind: 'vanilla', entropyBits: [...grid], method, seed: 3, ...(method === 'temperature' ? { eps: 1e-6 } : {}) },
    );
    const eps = method === 'temperature' ? 1e-4 : 0.01;
    const rows = rowsOf(set.toArray(), vocab);
    rows.forEach((p, i) => {
      expect(Math.abs(entropyBits(p) - grid[i])).toBeLessThan(eps + 1e-4);
      expect(Math.abs(set.meta[i].entropyBits - grid[i])).toBeLessThan(eps + 1e-4);
      expect(set.meta[i].requestedEntropyBits).toBe(grid[i]);
    });
    validateTargets(set.toArray(), grid.length, vocab);
    if (grid[0] === 0) expect(rows[0].reduce((a, b) => Math.max(a, b), 0)).toBe(1);
    set.dispose();
  });

  it('a target is the same made alone or among many (its seed is its own)', async () => {
    const many = await synthesizeTargets(
      { vocabSize: 1000 },
      { kind: 'vanilla', entropyBits: [1, 2, 3, 4, 5, 6], seed: 9 },
    );
    const alone = await synthesizeTargets({ vocabSize: 1000 }, { kind: 'vanilla', entropyBits: [4], seed: 9 });
    const a = rowsOf(many.toArray(), 1000)[3];
    const b = alone.toArray();
    expect(klNats(a, b)).toBeLessThan(1e-6);
    const other = await synthesizeTargets({ vocabSize: 1000 }, { kind: 'vanilla', entropyBits: [4], seed: 10 });
    expect(klNats(b, other.toArray())).toBeGreaterThan(0.01);
  });

  it('an entropy out of range is refused with the range', async () => {
    await expect(synthesizeTargets({ vocabSize: 1000 }, { kind: 'vanilla', entropyBits: [10.5] })).rejects.toThrow(
      /entropy 10.5 bits is outside \[0, log2 1000 = 9.9658\]/,
    );
    await expect(synthesizeTargets({ vocabSize: 1000 }, { kind: 'vanilla', entropyBits: [-1] })).rejects.toThrow(
      /outside/,
    );
  });

  it('a target that does not converge is named by its id, not by its place in its native batch', async () => {
    // 64 targets a batch at this vocabulary. The ends are exact; the rest, in the second batch, within
    // 1e-15 bits would need the bisection to land on the float64 next to h (one may, not all). The
    // id says the same in a sweep whose target store held some targets already, where an index
    // among those made would name none the user knows.
    const entropyBits = [...Array<number>(64).fill(0), 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5];
    const message = await synthesizeTargets(
      { vocabSize: 10000 },
      { kind: 'vanilla', entropyBits, method: 'temperature', eps: 1e-15 },
    ).then(
      () => 'every target made',
      (e: Error) => e.message,
    );
    const named =
      /^vanilla target vanilla:h=([\d.]+):s=0:m=temperature \(h = ([\d.]+) bits\) did not reach its entropy/.exec(
        message,
      );
    expect(named, message).not.toBeNull();
    const [idBits, h] = [Number(named![1]), Number(named![2])];
    expect(idBits).toBe(h);
    expect(entropyBits.slice(64)).toContain(h);
  });

  it('a misspelt field is refused, not dropped (its default would run)', async () => {
    await expect(
      synthesizeTargets({ vocabSize: 1000 }, { kind: 'vanilla', entropyBits: [2], seeed: 3 } as never),
    ).rejects.toThrow(/vanilla targets: unknown field 'seeed' \(known: kind, entropyBits, method, eps, seed\)/);
    await expect(
      synthesizeTargets({ vocabSize: 1000 }, { kind: 'outlier', entropyBits: [2], outlier: 2 } as never),
    ).rejects.toThrow(/outlier targets: unknown field 'outlier'/);
  });

  it('an unknown kind is refused, naming every kind there is', async () => {
    await expect(synthesizeTargets({ vocabSize: 1000 }, { kind: 'vanila', entropyBits: [2] } as never)).rejects.toThrow(
      "unknown target kind 'vanila' (vanilla, outlier, lm, shuffled, migrated, pos-uniform, file)",
    );
  });
});

describe('outlier targets (Eq. 2–3, Appendix A)', () => {
  it('m is the largest mass one token can hold at that entropy, rounded down to 0.01', () => {
    const V = 50257;
    const H = (m: number) => (-(m * Math.log(m)) - (1 - m) * Math.log((1 - m) / (V - 1))) / Math.log(2);
    for (const h of [0.5, 2, 5, 10, 15]) {
      const m = outlierMassBound(h, V);
      expect(Math.round(m * 100) / 100).toBeCloseTo(m, 10);
      // m satisfies the inequality (entropy at m is still ≥ h); m + 0.01 does not.
      expect(H(m)).toBeGreaterThanOrEqual(h - 1e-9);
      expect(H(Math.min(1 - 1e-12, m + 0.01))).toBeLessThan(h);
    }
  });

  it('k outliers hold at least m − δ and the entropy is within ε', async () => {
    const vocab = 1000;
    const grid = [1, 3, 6];
    const set = await synthesizeTargets(
      { vocabSize: vocab },
      { kind: 'outlier', entropyBits: grid, outliers: 1, seed: 2 },
    );
    const rows = rowsOf(set.toArray(), vocab);
    expect(rows).toHaveLength(grid.length);
    rows.forEach((p, i) => {
      const meta = set.meta[i];
      expect(Math.abs(entropyBits(p) - grid[i])).toBeLessThan(0.011);
      const ids = meta.params.outlierIds as number[];
      expect(ids).toHaveLength(1); // k = 1
      const mass = ids.reduce((s, id) => s + p[id], 0);
      expect(mass).toBeGreaterThanOrEqual((meta.m as number) - 0.01 - 1e-5);
      expect(Math.abs(mass - (meta.outlierMass as number))).toBeLessThan(1e-4);
    });
  });
});

describe('model-made targets', () => {
  let gpt2: Model;
  beforeAll(async () => {
    gpt2 = await loadModel('random:tiny-gpt2');
  });

  it("lm targets are the model's own distribution for the recorded prompt; shuffled ones permute it", async () => {
    const V = gpt2.info.vocabSize;
    const lm = await synthesizeTargets(gpt2, { kind: 'lm', count: 2, promptLength: 4, seed: 1 });
    const rows = rowsOf(lm.toArray(), V);
    for (let i = 0; i < 2; i++) {
      const ids = Int32Array.from(lm.meta[i].lmPromptIds as number[]);
      expect(ids).toHaveLength(4);
      const logits = await gpt2.logits({ ids, rows: 1, positions: 4 });
      expect(klNats(rows[i], Float32Array.from(softmaxRow(logits, 0, V)))).toBeLessThan(1e-6);
      expect(Math.abs(lm.meta[i].entropyBits - entropyBits(rows[i]))).toBeLessThan(1e-4);
    }
    const sh = await synthesizeTargets(gpt2, { kind: 'shuffled', count: 2, shuffles: 2, promptLength: 4, seed: 1 });
    const shRows = rowsOf(sh.toArray(), V);
    // Same masses (to float rounding: the lm rows ran in another batch), other places.
    const sorted = (a: Float32Array) => Float32Array.from(a).sort();
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
    expect(maxDiff(sorted(shRows[0]), sorted(rows[0]))).toBeLessThan(1e-7);
    expect(maxDiff(sorted(shRows[3]), sorted(rows[1]))).toBeLessThan(1e-7);
    expect(klNats(shRows[0], rows[0])).toBeGreaterThan(0.01);
    expect(klNats(shRows[0], shRows[1])).toBeGreaterThan(0.01); // different shuffles
  });

  it('migrated targets (Llama 3 → GPT-2 vocabulary) sum to 1 and keep the reported mass', async () => {
    const set = await synthesizeTargets(gpt2, { kind: 'migrated', source: 'random:tiny-llama3', count: 2, seed: 4 });
    const V = gpt2.info.vocabSize;
    for (const [i, p] of rowsOf(set.toArray(), V).entries()) {
      const sum = p.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
      const kept = set.meta[i].params.massKept as number;
      const shared = set.meta[i].params.sharedTokens as number;
      expect(kept).toBeGreaterThan(0.2);
      expect(kept).toBeLessThanOrEqual(1 + 1e-6);
      expect(shared).toBeGreaterThan(20000); // GPT-2 and Llama 3 share tens of thousands of strings
      expect(set.meta[i].sourceModel).toBe('random:tiny-llama3');
    }
  });

  it('a migrated target is the source distribution carried by decoded text, recomputed by hand', async () => {
    const src = await loadModel('random:tiny-llama3');
    const set = await synthesizeTargets(gpt2, { kind: 'migrated', source: 'random:tiny-llama3', count: 1, seed: 4 });
    const [V, SV] = [gpt2.info.vocabSize, src.info.vocabSize];
    // The destination token of each text: the first id that decodes to it, whole characters only.
    const dest = new Map<string, number>();
    for (let v = 0; v < V; v++) {
      const text = gpt2.tokenizer!.decode([v]);
      if (text && !text.includes('\ufffd') && !dest.has(text)) dest.set(text, v);
    }
    const ids = Int32Array.from(set.meta[0].lmPromptIds as number[]);
    const q = softmaxRow(await src.logits({ ids, rows: 1, positions: ids.length }), 0, SV);
    const mine = new Float64Array(V);
    let [kept, shared] = [0, 0];
    for (let u = 0; u < SV; u++) {
      const v = dest.get(src.tokenizer!.decode([u]));
      if (v === undefined) continue;
      mine[v] += q[u];
      kept += q[u];
      shared++;
    }
    src.dispose();
    const p = set.toArray();
    expect(set.meta[0].params.sharedTokens).toBe(shared);
    expect(Math.abs((set.meta[0].params.massKept as number) - kept)).toBeLessThan(1e-6);
    expect(p.reduce((m, x, v) => Math.max(m, Math.abs(x - mine[v] / kept)), 0)).toBeLessThan(1e-7);
  });
});

describe('validation', () => {
  const V = 4;
  it.each([
    [Float32Array.from([0.5, 0.5, 0]), /have 3 values; expected 1 rows × 4/],
    [Float32Array.from([0.5, 0.5, NaN, 0]), /target 0 is not a distribution: value NaN at token 2 is not finite/],
    [Float32Array.from([0.5, 0.7, -0.2, 0]), /target 0 is not a distribution: value -0.2\d* at token 2 is negative/],
    [Float32Array.from([0.5, 0.2, 0.2, 0]), /target 0 is not a distribution: it sums to 0.9/],
  ])('%o is refused naming the failed check', (data, message) => {
    expect(() => validateTargets(data, 1, V)).toThrow(message);
  });
  it('renormalises only when asked', () => {
    // A misspelt option is refused, not dropped (the target would be refused for its sum instead).
    expect(() => validateTargets(Float32Array.from([1, 1, 1, 1]), 1, V, { renormalise: true } as never)).toThrow(
      /validateTargets: unknown option 'renormalise' \(known: renormalize, names\)/,
    );
    const out = validateTargets(Float32Array.from([1, 1, 1, 1]), 1, V, { renormalize: true });
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
  it('entropyBits and klNats name a bad argument rather than answer 0 bits or throw a TypeError', () => {
    const two = Float32Array.from([0.5, 0.5, 1, 0]); // two rows of 2 tokens
    expect(entropyBits(two, 2, 0)).toBeCloseTo(1, 6);
    expect(entropyBits(two, 2, 1)).toBe(0);
    // A Float64Array is read as well (and its type says so: test/fixtures/consumer/type-facts.ts).
    expect(entropyBits(Float64Array.from(two), 2, 0)).toBeCloseTo(1, 6);
    expect(klNats(Float64Array.from([0.5, 0.5]), Float32Array.from([0.5, 0.5]))).toBe(0);
    expect(() => entropyBits(null as never)).toThrow(
      /entropyBits: p must be a Float32Array \(or Float64Array\) of probabilities, got null/,
    );
    expect(() => entropyBits(two, 3)).toThrow(/vocab 3 does not divide p's 4 values into rows/);
    expect(() => entropyBits(two, 2, 2)).toThrow(/row 2 is not one of p's 2 rows/);
    expect(() => entropyBits(two, 2, 0.5)).toThrow(/row 0.5 is not one of p's 2 rows/);
    expect(() => klNats(two, [0.5, 0.5, 1, 0] as never)).toThrow(
      /klNats: q must be a Float32Array \(or Float64Array\) of probabilities, got object/,
    );
  });
});

describe('pos-uniform targets', () => {
  it('are uniform over n tokens of one tag; tag counts cover the GPT-2 vocabulary', async () => {
    const { tagOfText, tagVocabulary } = await import('../lib/targets/index.js');
    const { loadTokenizer, vocabularyTexts } = await import('../lib/tokenizer/index.js');
    expect(tagOfText(' happy')).toBe('adjective');
    expect(tagOfText(' house')).toBe('ambiguous'); // noun and verb
    expect(tagOfText(' Obama')).toBe('proper-noun');
    expect(tagOfText('123')).toBe(null);
    expect(tagOfText(' happy\n')).toBe('adjective');
    expect(tagOfText('\uFEFFhappy')).toBe(null); // a byte-order mark before it (Llama 3, Qwen): not a word
    const tok = await loadTokenizer({ preset: 'gpt2' });
    const tagged = tagVocabulary(vocabularyTexts(tok));
    const total = Object.values(tagged.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(50257);
    for (const t of ['noun', 'proper-noun', 'verb', 'adjective'] as const)
      expect(tagged.counts[t]).toBeGreaterThan(500);
    const model = await loadModel('random:tiny-gpt2');
    const set = await synthesizeTargets(model, { kind: 'pos-uniform', tag: 'verb', count: 2, n: 100, seed: 3 });
    for (const [i, p] of rowsOf(set.toArray(), 50257).entries()) {
      const support = Array.from(p.keys()).filter((id) => p[id] > 0);
      expect(support).toHaveLength(100);
      for (const id of support) {
        expect(p[id]).toBeCloseTo(0.01, 7);
        expect(tagOfText(tok.tokenText(id))).toBe('verb');
      }
      expect(set.meta[i].posTag).toBe('verb');
      expect(Math.abs(set.meta[i].entropyBits - Math.log2(100))).toBeLessThan(1e-4);
    }
    const [a, b] = rowsOf(set.toArray(), 50257);
    expect(klNats(a, b)).toBe(Infinity); // two samples, two different supports
  });
});

describe('file targets', () => {
  it('JSON, Arrow and safetensors files give the same validated rows', async () => {
    const { readTargetFile } = await import('../lib/targets/index.js');
    const { tableToIPC, vectorFromArray, Table, List, Float32, Field } = await import('apache-arrow');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = tmp();
    const rows = [
      [0.5, 0.25, 0.25, 0],
      [0.1, 0.2, 0.3, 0.4],
    ];
    writeFileSync(join(dir, 't.json'), JSON.stringify({ targets: rows, meta: [{ id: 'a' }, { id: 'b' }] }));
    const target = vectorFromArray(
      rows.map((r) => Float32Array.from(r)),
      new List(new Field('item', new Float32(), true)),
    );
    const table = new Table({ id: vectorFromArray(['a', 'b']), target });
    writeFileSync(join(dir, 't.arrow'), tableToIPC(table, 'file'));
    const header = Buffer.from(JSON.stringify({ targets: { dtype: 'F32', shape: [2, 4], data_offsets: [0, 32] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(
      join(dir, 't.safetensors'),
      Buffer.concat([len, header, Buffer.from(Float32Array.from(rows.flat()).buffer)]),
    );
    for (const f of ['t.json', 't.arrow', 't.safetensors']) {
      const r = readTargetFile(join(dir, f), 4);
      expect(Array.from(r.data)).toEqual(Array.from(Float32Array.from(rows.flat())));
      if (f !== 't.safetensors') expect(r.ids).toEqual(['a', 'b']);
    }
    expect(() => readTargetFile(join(dir, 't.json'), 5)).toThrow(/target 0 has 4 values, the model's vocabulary 5/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ targets: [[0.5, 0.6, 0, 0]] }));
    expect(() => readTargetFile(join(dir, 'bad.json'), 4)).toThrow(/target 0 is not a distribution: it sums to 1.1/);
  });
});
