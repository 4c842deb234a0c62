// One registry of target kinds: the sweep planner and synthesizeTargets name every kind's
// targets alike (same ids, same seeds), and what synthesizeTargets makes carries those ids.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { parseSpec, TARGET_KINDS } from '../lib/spec/index.js';
import { planTargets } from '../lib/sweep/index.js';
import {
  outlier,
  planRequest,
  synthesizeTargets,
  TARGET_REGISTRY,
  type SynthesisRequest,
} from '../lib/targets/index.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('registry');
const file = join(dir, 'two.json');

/** Each kind as a spec entry and as the library request that stands for the same targets. */
const cases: [string, Record<string, unknown>, SynthesisRequest][] = (
  [
    ['vanilla', { kind: 'vanilla', entropyBits: [1.5, 3] }, { kind: 'vanilla', entropyBits: [1.5, 3] }],
    [
      'vanilla (temperature)',
      { kind: 'vanilla', entropyBits: [2], method: 'temperature' },
      { kind: 'vanilla', entropyBits: [2], method: 'temperature' },
    ],
    [
      'outlier',
      { kind: 'outlier', entropyBits: [1, 4], outliers: 2 },
      { kind: 'outlier', entropyBits: [1, 4], outliers: 2 },
    ],
    [
      'lm',
      { kind: 'lm', count: 2, promptLength: 3, pairedVanilla: true },
      { kind: 'lm', count: 2, promptLength: 3, pairedVanilla: true },
    ],
    [
      'shuffled',
      { kind: 'shuffled', count: 2, shuffles: 2, promptLength: 3 },
      { kind: 'shuffled', count: 2, shuffles: 2, promptLength: 3 },
    ],
    [
      'migrated',
      { kind: 'migrated', source: 'random:tiny-llama3', count: 1 },
      { kind: 'migrated', source: 'random:tiny-llama3', count: 1 },
    ],
    [
      'pos-uniform',
      { kind: 'pos-uniform', tags: ['verb'], n: 20, count: 2 },
      { kind: 'pos-uniform', tag: 'verb', n: 20, count: 2 },
    ],
    ['file', { kind: 'file', path: file }, { kind: 'file', path: file }],
  ] as [string, Record<string, unknown>, SynthesisRequest][]
).map(([name, entry, request]) => [name, entry, { ...request, seed: 7 }]);

describe('the target registry', () => {
  let gpt2: Model;
  beforeAll(async () => {
    gpt2 = await loadModel('random:tiny-gpt2');
    const V = gpt2.info.vocabSize;
    const row = (hot: number) => Array.from({ length: V }, (_, v) => (v === hot ? 0.5 : 0.5 / (V - 1)));
    writeFileSync(file, JSON.stringify({ targets: [row(1), row(2)], meta: [{ id: 'a' }, { id: 'b' }] }));
  });

  it("has one row for every kind the spec schema knows, holding that kind's schema", () => {
    expect(Object.keys(TARGET_REGISTRY).sort()).toEqual([...TARGET_KINDS].sort());
    for (const [kind, def] of Object.entries(TARGET_REGISTRY)) expect(def.schema.shape.kind.value).toBe(kind);
  });

  it.each(cases)('%s: the sweep and synthesizeTargets plan the same ids and seeds', async (_, entry, request) => {
    const V = gpt2.info.vocabSize;
    const swept = planTargets(parseSpec({ seed: 7, targets: [entry] }), V, { fileTargetCount: () => 2 });
    const asked = planRequest(request);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.map((p) => [p.targetId, p.seed])).toEqual(swept.map((p) => [p.targetId, p.seed]));
    // Entropy-matched kinds need only a vocabulary; a small one keeps the gradient method quick.
    const host = request.kind === 'vanilla' || request.kind === 'outlier' ? { vocabSize: 1000 } : gpt2;
    const set = await synthesizeTargets(host, request);
    try {
      expect(set.meta.map((m) => [m.id, m.seed])).toEqual(swept.map((p) => [p.targetId, p.seed]));
      expect(set.meta.map((m) => m.kind)).toEqual(swept.map((p) => p.kind));
    } finally {
      set.dispose();
    }
  });

  it('a request field out of range is refused by the spec schema, naming the field', () => {
    expect(() => planRequest({ kind: 'lm', count: 0 })).toThrow(/lm targets: count: must be >= 1/);
    expect(() => planRequest({ kind: 'outlier', entropyBits: [1], outliers: 1.5 })).toThrow(
      /outlier targets: outliers: must be an integer/,
    );
  });

  it('outlier tokens come from all 53 bits of the seed: seeds equal in their low 32 bits pick other tokens', async () => {
    const low = 12345;
    const high = low + 2 ** 40;
    const [a, b] = await Promise.all([outlier(1000, [low], [3], 4), outlier(1000, [high], [3], 4)]);
    expect(a.extra[0].outlierIds).not.toEqual(b.extra[0].outlierIds);
  });
});
