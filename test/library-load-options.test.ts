// loadModel's options as a script passes them: each of the wrong type is refused, naming it,
// instead of being read as truthy or falsy (tokenizer: 'no' loaded the tokenizer), multiplied
// into NaN ('undefined rows at once … need NaN B'), or dropped (a seed on a checkpoint).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadModel, ModelConfigError } from '../lib/index.js';

const GPT2 = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');

const refusal = async (arg: string, options: unknown) => {
  const e = await loadModel(arg, options as never).then(
    (m) => (m.dispose(), undefined),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ModelConfigError);
  return (e as Error).message;
};

describe('loadModel options of the wrong type', () => {
  it.each([
    [null, 'loadModel: options must be an object, got null'],
    [{ tokenizer: 'no' }, "loadModel: tokenizer must be true or false, got 'no'"],
    [{ mapWeights: 'yes' }, "loadModel: mapWeights must be true or false, got 'yes'"],
    [{ endpoint: 5 }, 'loadModel: endpoint must be a URL string, got 5'],
    [{ seed: '3' }, "loadModel: seed must be an integer >= 0, got '3'"],
    [{ rows: 1e12 }, 'loadModel: rows must be an object { rows, positions, candidates?, field }, got 1000000000000'],
    [
      { rows: { rows: 4, positions: 5, candidates: 0, field: 'batchSize' } },
      'loadModel: rows.candidates must be a positive integer, got 0',
    ],
    [{ rows: { rows: -1 } }, 'loadModel: rows.rows must be a positive integer, got -1'],
    [
      { rows: { rows: 4, positions: 5, candidates: 1 } },
      "loadModel: rows.field must name what sets the rows (a spec field or flag, e.g. 'batchSize'), got undefined",
    ],
  ])('%j', async (options, message) => {
    expect(await refusal('random:micro', options)).toBe(message);
  });

  it('a seed for a checkpoint, which has weights of its own, is refused rather than ignored', async () => {
    expect(await refusal(GPT2, { seed: 3 })).toMatch(
      /^loadModel: seed is for random:<preset> weights; .* leave seed out$/,
    );
    const m = await loadModel(GPT2, { tokenizer: false });
    m.dispose();
  });

  it('rows that are right are size-checked as before', async () => {
    const ok = await loadModel('random:micro', { rows: { rows: 4, positions: 5, candidates: 1, field: 'batchSize' } });
    ok.dispose();
    expect(
      await refusal('random:micro', { rows: { rows: 1e9, positions: 5, candidates: 1, field: 'batchSize' } }),
    ).toMatch(/1000000000 rows at once \(batchSize; .* per row\) need .*: lower batchSize$/);
  });

  it("rows without candidates are sized at tune()'s default, 1", async () => {
    const ok = await loadModel('random:micro', { rows: { rows: 4, positions: 5, field: 'batchSize' } });
    ok.dispose();
    const [one, left] = await Promise.all([
      refusal('random:micro', { rows: { rows: 1e9, positions: 5, candidates: 1, field: 'batchSize' } }),
      refusal('random:micro', { rows: { rows: 1e9, positions: 5, field: 'batchSize' } }),
    ]);
    expect(left).toBe(one);
  });
});
