// A script's bad arguments to a model's calls and to the kernels: each is refused before the addon
// with an ArgumentError that names the call, the argument and its value, and exitCodeFor gives 2
// (invalid input), as for a bad spec or flag. Before, each was a bare TypeError or RangeError
// (exit 1, a bug's code), or the addon's own message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import * as distprompt from '../lib/index.js';
import { exitCodeFor, hotflipTopK, klDivergence, loadModel, type Model } from '../lib/index.js';
import { native } from '../lib/native/index.js';
import { errorOf } from './helpers/rejection.js';

let model: Model;
beforeAll(async () => {
  model = await loadModel('random:micro', { tokenizer: false });
});
afterAll(() => model.dispose());

/** random:micro's sizes. */
const V = 1000;
const H = 32;

/** A call's refusal: an ArgumentError of `message`, exit 2. */
async function expectRefused(call: () => unknown, message: string | RegExp): Promise<void> {
  const e = await errorOf(call);
  expect(e.message).toMatch(message);
  expect(e.name).toBe('ArgumentError');
  expect(exitCodeFor(e)).toBe(2);
}

const uniform = (rows: number) => new Float32Array(rows * V).fill(1 / V);

describe("a model's calls", () => {
  it.each<[string, () => Promise<unknown>, string | RegExp]>([
    [
      'ids as an Array',
      () => model.logits({ ids: [1, 2, 3] as never, rows: 1, positions: 3 }),
      'logits: ids must be an Int32Array of rows×positions = 3 values, got Array of 3 values: convert it with Int32Array.from',
    ],
    [
      'ids of the wrong length',
      () => model.logits({ ids: Int32Array.from([1, 2]), rows: 1, positions: 3 }),
      'logits: ids has 2 values; expected rows×positions = 3',
    ],
    [
      'an id past the vocabulary',
      () => model.hidden({ ids: Int32Array.from([1, 5000]), rows: 1, positions: 2 }),
      'hidden: token id 5000 in ids is outside the vocabulary [0, 1000) of model random:micro',
    ],
    [
      'rows of 0',
      () => model.logits({ ids: new Int32Array(0), rows: 0, positions: 1 }),
      'logits: rows must be an integer of at least 1, got 0',
    ],
    [
      'ids and embeds both',
      () => model.logits({ ids: new Int32Array(1), embeds: new Float32Array(H), rows: 1, positions: 1 } as never),
      'logits: give exactly one of ids (token ids) or embeds (soft prompts), got both',
    ],
    [
      'embeds as a Float64Array',
      () => model.hidden({ embeds: new Float64Array(H) as never, rows: 1, positions: 1 }),
      'hidden: embeds must be a Float32Array of rows×positions×hidden = 32 values, got Float64Array of 32 values',
    ],
    [
      'an unknown field',
      () => model.logits({ ids: new Int32Array(1), rows: 1, positions: 1, positionIDs: new Int32Array(1) } as never),
      "logits: unknown field 'positionIDs'",
    ],
    [
      'embeds to embed()',
      () => model.embed({ embeds: new Float32Array(H), rows: 1, positions: 1 } as never),
      "embed: unknown field 'embeds'",
    ],
    [
      'ids to klGradient',
      () => model.klGradient({ ids: new Int32Array(1), rows: 1, positions: 1, target: uniform(1) } as never),
      'klGradient: give embeds (soft prompts), not ids: model.embed turns ids into them',
    ],
    [
      'a Float64Array target',
      () =>
        model.klGradient({ embeds: new Float32Array(H), rows: 1, positions: 1, target: new Float64Array(V) as never }),
      /^klGradient: target must be a Float32Array of rows×vocab = 1000 values or a tensor .* got Float64Array of 1000 values$/,
    ],
    [
      'a target of the wrong length',
      () => model.klGradient({ embeds: new Float32Array(H), rows: 1, positions: 1, target: uniform(2) }),
      'klGradient: target has 2000 values; expected rows×vocab = 1000',
    ],
  ])('%s', async (_, call, message) => {
    await expectRefused(call, message);
  });

  it('a target tensor of other rows than the embeds', async () => {
    const tensor = await native().uploadTensor({ data: uniform(3), shape: [3, V] });
    try {
      await expectRefused(
        () => model.klGradient({ embeds: new Float32Array(2 * H), rows: 2, positions: 1, target: tensor }),
        'klGradient: target has 3 rows; expected rows = 2: one target per row',
      );
    } finally {
      tensor.dispose();
    }
  });

  it('a batch too big for the memory free', async () => {
    native().setCpuMemoryLimit(64 * 2 ** 20);
    try {
      await expectRefused(
        () => model.logits({ ids: new Int32Array(40_000), rows: 20_000, positions: 2 }),
        /^logits: 20000 rows × 2 positions need about .* pass fewer rows at a time$/,
      );
    } finally {
      native().setCpuMemoryLimit(0);
    }
  });
});

describe('the kernels', () => {
  const kl = { logits: new Float32Array(4), target: Float32Array.from([0.5, 0.5, 0.5, 0.5]), rows: 2, vocab: 2 };
  const flip = { grad: new Float32Array(2), current: new Float32Array(2), embeddings: new Float32Array(6) };
  const sizes = { rows: 1, hidden: 2, vocab: 3, k: 1 };
  it.each<[string, () => Promise<unknown>, string | RegExp]>([
    [
      'logits as an Int32Array',
      () => klDivergence({ ...kl, logits: new Int32Array(4) as never }),
      'klDivergence: logits must be a Float32Array of rows×vocab = 4 values, got Int32Array of 4 values',
    ],
    [
      'fractional rows',
      () => klDivergence({ ...kl, rows: 1.5 }),
      'klDivergence: rows must be an integer of at least 1, got 1.5',
    ],
    [
      'a target of the wrong length',
      () => klDivergence({ ...kl, target: Float32Array.from([1, 0]) }),
      'klDivergence: target has 2 values; expected rows×vocab = 4',
    ],
    [
      'an unknown dtype',
      () => klDivergence({ ...kl, dtype: 'float8' as never }),
      "klDivergence: dtype must be one of float32, float64, bfloat16, float16, got 'float8'",
    ],
    [
      'a device by another name',
      () => klDivergence({ ...kl, device: 'gpu' }),
      "klDivergence: device must be 'cpu', 'cuda' or 'cuda:N', got 'gpu'",
    ],
    [
      'logits all -Infinity in a row',
      () => klDivergence({ ...kl, logits: Float32Array.from([0, 0, -Infinity, -Infinity]) }),
      'klDivergence: logits of row 1 are all -Infinity',
    ],
    [
      'embeddings of the wrong length',
      () => hotflipTopK({ ...flip, ...sizes, embeddings: new Float32Array(4) }),
      'hotflipTopK: embeddings has 4 values; expected vocab×hidden = 6',
    ],
    [
      'a banned id past the vocabulary',
      () => hotflipTopK({ ...flip, ...sizes, banned: Int32Array.from([0, 3]) }),
      'hotflipTopK: banned holds token id 3, outside the vocabulary [0, 3)',
    ],
    [
      'banned as an Array',
      () => hotflipTopK({ ...flip, ...sizes, banned: [0] as never }),
      'hotflipTopK: banned must be an Int32Array of token ids, got Array of 1 values',
    ],
    ['k of 0', () => hotflipTopK({ ...flip, ...sizes, k: 0 }), 'hotflipTopK: k must be an integer in 1..3'],
    [
      'a device by another name',
      () => hotflipTopK({ ...flip, ...sizes, device: 'tpu' }),
      "hotflipTopK: device must be 'cpu', 'cuda' or 'cuda:N', got 'tpu'",
    ],
    [
      'an unknown field',
      () => hotflipTopK({ ...flip, ...sizes, ban: Int32Array.from([0]) } as never),
      "hotflipTopK: unknown field 'ban'",
    ],
  ])('%s', async (_, call, message) => {
    await expectRefused(call, message);
  });
});

it('a script tells them apart with instanceof ArgumentError', async () => {
  const e = await errorOf(() => hotflipTopK({ grad: new Float32Array(2) } as never));
  expect(e).toBeInstanceOf(distprompt.ArgumentError);
});

// The library's other calls: an unknown or mistyped option was a bare TypeError or RangeError
// (exit 1, a bug's code) while the same mistake as a flag exits 2.
describe("the library's options", () => {
  it.each([
    ['runSweep', () => distprompt.runSweep({}, { resum: true } as never), /runSweep: .*resum/],
    [
      'mergeResults',
      () => distprompt.mergeResults('a.arrow' as never, 'out.arrow'),
      /mergeResults: paths must be an array/,
    ],
    [
      'plotAll',
      () => distprompt.plotAll([], 'figures', { width: -1 }),
      /plotAll: width must be a finite number above 0, got -1/,
    ],
    ['specFromFlags', () => distprompt.specFromFlags({ maxEpoch: 3 } as never), /specFromFlags: .*maxEpoch/],
  ])('%s: an ArgumentError, exit 2', async (_, call, message) => {
    await expectRefused(call, message);
  });
});
