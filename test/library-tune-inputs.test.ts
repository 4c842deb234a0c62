// tune() and headBound() as a script calls them with inputs of the wrong kind: each is refused
// before any work with a message naming the input, not a TypeError from deep inside the run
// (a missing options object, targets as a plain Array) or a native message naming no option
// (a prompt past the learned position table, freeBytes: NaN); ids are one string per target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exitCodeFor, headBound, loadModel, tune, type Model } from '../lib/index.js';

let model: Model;
let V: number;
const uniform = (rows = 1) => new Float32Array(rows * V).fill(1 / V);

beforeAll(async () => {
  model = await loadModel('random:micro');
  V = model.info.vocabSize;
});
afterAll(() => model.dispose());

const refused = (options: unknown) => tune(model, { maxEpochs: 2, inits: 1, ...(options as object) } as never);

describe('tune refuses inputs of the wrong kind, naming them', () => {
  it('no options object, or no model', async () => {
    await expect(tune(model, undefined as never)).rejects.toThrow(
      /needs an options object with targets, got undefined/,
    );
    await expect(tune(model, null as never)).rejects.toThrow(/needs an options object with targets, got null/);
    await expect(tune(undefined as never, { targets: uniform() })).rejects.toThrow(/needs a Model from loadModel/);
    // headBound too (before, "Cannot read properties of undefined (reading 'info')").
    await expect(headBound(undefined as never, uniform())).rejects.toThrow(
      'invalid headBound options:\n  (model): headBound(model, targets) needs a Model from loadModel, got undefined',
    );
  });

  it.each([
    ['missing', {}, /targets must be a Float32Array \(rows×vocab\), a NativeTensor or a target set.*got undefined/],
    ['a plain Array', { targets: [0.5, 0.5] }, /got Array of 2 values: convert it with Float32Array.from/],
    ['a Float64Array', { targets: new Float64Array(1000).fill(1e-3) }, /got Float64Array of 1000 values/],
  ])('targets %s', async (_, options, message) => {
    await expect(refused(options)).rejects.toThrow(message);
  });

  it('targetIds: one string per target', async () => {
    await expect(refused({ targets: uniform(), targetIds: ['a', 'b'] })).rejects.toThrow(
      'targetIds has 2 ids for 1 targets',
    );
    await expect(refused({ targets: uniform(), targetIds: 'a' })).rejects.toThrow(
      "targetIds must be an array of strings, one per target, got 'a'",
    );
    await expect(headBound(model, uniform(2), { targetIds: ['a'] })).rejects.toThrow(
      'targetIds has 1 ids for 2 targets',
    );
    await expect(headBound(model, undefined as never)).rejects.toThrow(/^targets must be a Float32Array/);
  });

  it('signal, freeBytes and rows of the wrong type', async () => {
    await expect(refused({ targets: uniform(), signal: 'stop' })).rejects.toThrow(
      /signal: must be an AbortSignal \(new AbortController\(\)\.signal\), got 'stop'/,
    );
    for (const freeBytes of [NaN, -1, 'lots'])
      await expect(refused({ targets: uniform(), freeBytes })).rejects.toThrow(
        /freeBytes: expected a finite number of bytes above 0/,
      );
    await expect(refused({ targets: uniform(), rows: 'x' })).rejects.toThrow(/rows: must be an array of/);
    await expect(refused({ targets: uniform(), rows: [{ targetIndex: 0, initId: 'x' }] })).rejects.toThrow(
      "rows[0].initId: must be an integer >= 0 (it sets the row's seed), got 'x'",
    );
  });

  it('a prompt longer than a learned position table names prefixLength and the config key', async () => {
    const { maxPositions } = model.info.config;
    await expect(refused({ targets: uniform(), prefixLength: maxPositions + 1 })).rejects.toThrow(
      `prefixLength: ${maxPositions + 1} positions do not fit random:micro's ${maxPositions} learned positions (config.json n_positions): give at most ${maxPositions}`,
    );
    const contextBefore = new Int32Array(maxPositions - 2).fill(1);
    await expect(refused({ targets: uniform(), prefixLength: 3, contextBefore })).rejects.toThrow(
      `prefixLength: 3 + ${maxPositions - 2} context tokens positions do not fit random:micro's ${maxPositions} learned positions (config.json n_positions): give at most 2`,
    );
    // The table's last position is still a prompt the model reads.
    const [r] = await tune(model, { targets: uniform(), prefixLength: maxPositions, inits: 1, maxEpochs: 2 });
    expect(Number.isFinite(r.klNats)).toBe(true);
  });

  it('a deterministic batch that cannot fit is refused before the tuner allocates it, naming batchSize', async () => {
    // Before: the addon allocated for seconds, then 'CPU out of memory: tried to allocate 3814698 MiB'.
    const t0 = performance.now();
    await expect(refused({ targets: uniform(), deterministic: true, batchSize: 1e9 })).rejects.toThrow(
      /batchSize: 1000000000 rows at once need .* per row\), more than the .* free on cpu, and a deterministic batch cannot halve: lower batchSize/,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
    const small = { targets: uniform(), inits: 2, batchSize: 2, freeBytes: 1000 };
    await expect(refused({ ...small, deterministic: true })).rejects.toThrow(
      /batchSize: 2 rows at once need .* more than the 1000 B free on cpu/,
    );
    // Another fixed batch is not refused: it halves on out of memory instead.
    expect(await tune(model, { ...small, maxEpochs: 2 })).toHaveLength(2);
  });
});

describe('ban without a tokenizer', () => {
  it("an asked-for ban is refused on a model without a tokenizer (it banned nothing, silently); 'none' runs", async () => {
    expect(model.tokenizer).toBeUndefined();
    await expect(refused({ targets: uniform(), method: 'hard', ban: 'special+nonprintable' })).rejects.toThrow(
      "ban: 'special+nonprintable' needs the model's tokenizer to know which tokens to ban, and random:micro has none",
    );
    await expect(refused({ targets: uniform(), method: 'hard', ban: 'special' })).rejects.toThrow(
      /ban: 'special' needs/,
    );
    const [r] = await tune(model, { targets: uniform(), method: 'hard', ban: 'none', inits: 1, maxEpochs: 2 });
    expect(r.promptIds).toHaveLength(5);
  });
});

describe('a ban of every token', () => {
  // Before, the tuner's own 'tuner.load: every token is banned' (exit 1, naming no option).
  it.each(['soft', 'hard'] as const)('is refused naming banned (%s)', async (method) => {
    const all = Int32Array.from({ length: V }, (_, i) => i);
    await expect(refused({ targets: uniform(), method, ban: 'none', banned: all })).rejects.toThrow(
      `invalid tune options:\n  banned: every one of random:micro's ${V} tokens is banned (ban 'none', and the ${V} ids of banned)`,
    );
    // One token left is a prompt of that token.
    const [r] = await tune(model, {
      targets: uniform(),
      method,
      ban: 'none',
      banned: all.subarray(1),
      inits: 1,
      maxEpochs: 2,
    });
    if (method === 'hard') expect([...r.promptIds!]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('banned ids of the wrong kind or outside the vocabulary', () => {
  it('are refused naming banned and the first bad id (before, converted to ids or miscounted)', async () => {
    // Before, 'x' banned token 0 and 1.5 token 1 without a word.
    for (const banned of ['x', [1.5], new Float32Array([3])])
      await expect(refused({ targets: uniform(), method: 'hard', ban: 'none', banned })).rejects.toThrow(
        'banned: must be an Int32Array of token ids',
      );
    // Before, an id past the vocabulary counted as a token banned: 'every one of 1000 tokens is banned'.
    const banned = Int32Array.from({ length: V }, (_, i) => (i === V - 1 ? V + 5 : i));
    await expect(refused({ targets: uniform(), method: 'hard', ban: 'none', banned })).rejects.toThrow(
      `banned: banned[${V - 1}] is token id ${V + 5}, outside the vocabulary [0, ${V})`,
    );
  });
});

describe('context ids of the wrong kind or outside the vocabulary', () => {
  // Before, the addon's bare TypeError or RangeError (exit 1, as a bug), not an invalid option.
  it.each(['contextBefore', 'contextAfter'] as const)('are refused naming %s and the first bad id', async (field) => {
    for (const ids of [[1, 2], 'x', new Float32Array([3])]) {
      const run = refused({ targets: uniform(), [field]: ids });
      await expect(run).rejects.toThrow(`invalid tune options:\n  ${field}: must be an Int32Array of token ids`);
      expect(await run.then(() => 0, exitCodeFor)).toBe(2);
    }
    const ids = Int32Array.from([1, V + 5]);
    await expect(refused({ targets: uniform(), [field]: ids })).rejects.toThrow(
      `${field}: ${field}[1] is token id ${V + 5}, outside the vocabulary [0, ${V})`,
    );
  });
});

describe('HotFlip candidates beyond the tokens left to choose from', () => {
  // Before, the tuner's own 'hotflip: k = 25 must be in 1..20 (512, or the number of tokens not
  // banned)' in the first epoch (exit 1, naming no option).
  it.each([
    ['hard', undefined],
    ['hybrid', 'HSH'],
  ] as const)('are refused naming candidates (%s), and as many as are left run', async (method, pattern) => {
    const banned = Int32Array.from({ length: V - 20 }, (_, i) => i + 20);
    const options = { targets: uniform(), method, pattern, prefixLength: 3, ban: 'none', banned } as const;
    await expect(refused({ ...options, candidates: 21 })).rejects.toThrow(
      `invalid tune options:\n  candidates: 21 HotFlip candidates per hard position, and random:micro has 20 tokens not banned (of ${V}) to choose from: give at most 20`,
    );
    const [r] = await tune(model, { ...options, candidates: 20, inits: 1, maxEpochs: 2 });
    expect([...r.promptIds].filter((id) => id >= 0).every((id) => id < 20)).toBe(true);
  });
});

describe('a refused input is invalid input (exit code 2) to a script, as to the command line', () => {
  const codeOf = (p: PromiseLike<unknown>) =>
    Promise.resolve(p).then(
      () => 'not refused',
      (e: unknown) => exitCodeFor(e),
    );
  it.each([
    ['targets of another vocabulary', () => refused({ targets: new Float32Array(V + 1).fill(1 / (V + 1)) })],
    ['a target that is not a distribution', () => refused({ targets: new Float32Array(V).fill(2 / V) })],
    ['targets as a plain Array', () => refused({ targets: [0.5, 0.5] })],
    ['ids of another count', () => refused({ targets: uniform(), targetIds: ['a', 'b'] })],
    ['rows not an array', () => refused({ targets: uniform(), rows: 'x' })],
    ['a row past the targets', () => refused({ targets: uniform(), rows: [{ targetIndex: 1, initId: 0 }] })],
    ["headBound's targets of another vocabulary", () => headBound(model, new Float32Array(V + 1))],
  ])('%s', async (_, call) => {
    expect(await codeOf(call())).toBe(2);
  });
});
