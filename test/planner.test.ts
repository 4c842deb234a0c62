import { describe, expect, test } from 'vitest';
import { shardText } from '../lib/cli/flag-rules.js';
import { turnClock } from './helpers/turns.js';
import { parseSpec } from '../lib/spec/index.js';
import {
  fnv1a64,
  planRows,
  planSweep,
  planSweepYielding,
  planTargets,
  remainingRows,
  rowsByMethod,
  rowsByMethodYielding,
  rowsToRun,
  rowsToRunYielding,
  shardFromEnv,
  shardRows,
  stableSeed,
} from '../lib/sweep/index.js';

const V = 16; // log2 V = 4 bits

describe('planTargets', () => {
  test('names every kind with stable ids, in spec order', () => {
    const spec = parseSpec({
      targets: [
        { kind: 'vanilla', entropyBits: '0:max:2' },
        { kind: 'outlier', entropyBits: [1.25], outliers: 2 },
        { kind: 'lm', count: 2, promptLength: 3 },
        { kind: 'shuffled', count: 1, promptLength: 3, shuffles: 2 },
        { kind: 'migrated', source: 'gpt2', count: 1 },
        { kind: 'pos-uniform', tags: ['verb'], n: 4, count: 2 },
        { kind: 'file', path: 'my.json' },
      ],
    });
    const ids = planTargets(spec, V, { fileTargetCount: () => 2 }).map((t) => t.targetId);
    expect(ids).toEqual([
      'vanilla:h=0:s=0',
      'vanilla:h=2:s=0',
      'vanilla:h=4:s=0',
      'outlier:k=2:h=1.25:s=0',
      'lm:n=3:i=0',
      'vanilla:paired=lm:n=3:i=0',
      'lm:n=3:i=1',
      'vanilla:paired=lm:n=3:i=1',
      'shuffled:lm:n=3:i=0:j=0',
      'shuffled:lm:n=3:i=0:j=1',
      'migrated:src=gpt2:n=5:i=0',
      'pos-uniform:tag=verb:n=4:i=0',
      'pos-uniform:tag=verb:n=4:i=1',
      'file:my.json:i=0',
      'file:my.json:i=1',
    ]);
  });

  test('shuffles use the seed of the lm target they permute', () => {
    const spec = parseSpec({
      targets: [
        { kind: 'lm', count: 1 },
        { kind: 'shuffled', count: 1, shuffles: 1 },
      ],
    });
    const [lm, , shuffled] = planTargets(spec, V);
    expect(shuffled.kind === 'shuffled' && shuffled.params.lmSeed).toBe(lm.seed);
  });

  test('errors: duplicate targets, grid beyond log2 V, file without a count', () => {
    expect(() =>
      planTargets(
        parseSpec({
          targets: [
            { kind: 'vanilla', entropyBits: [1] },
            { kind: 'vanilla', entropyBits: [1, 2] },
          ],
        }),
        V,
      ),
    ).toThrow(/targets\[1\]: plans target 'vanilla:h=1:s=0', which targets\[0\] already plans/);
    expect(() => planTargets(parseSpec({ targets: [{ kind: 'vanilla', entropyBits: [5] }] }), V)).toThrow(
      /targets\[0\]\.entropyBits: entropy 5 bits outside/,
    );
    expect(() => planTargets(parseSpec({ targets: [{ kind: 'file', path: 'a.json' }] }), V)).toThrow(
      /targets\[0\]\.path: planning file targets needs the number of targets in 'a\.json'/,
    );
  });
});

describe('planRows', () => {
  const spec = parseSpec({
    targets: [{ kind: 'vanilla', entropyBits: '0:max:1' }],
    inits: 3,
    methods: [{ method: 'soft' }, { method: 'hybrid', pattern: 'HHSSS', candidates: 2 }],
  });

  test('same spec ⇒ same rows in the same order', () => {
    const a = planSweep(spec, V).rows;
    const b = planSweep(parseSpec(JSON.parse(JSON.stringify({ ...spec }))), V).rows;
    expect(b).toEqual(a);
    expect(a).toHaveLength(5 * 2 * 3);
    expect(new Set(a.map((r) => r.rowId)).size).toBe(a.length);
    expect(a[3]).toMatchObject({
      rowId: 'vanilla:h=0:s=0|init=0|hybrid:HHSSS:k=2',
      method: 'hybrid',
      pattern: 'HHSSS',
      candidates: 2,
    });
    expect(a[0].pattern).toBe('SSSSS');
  });

  test('a row seed depends on (sweep seed, target, init) only', () => {
    const rows = planSweep(spec, V).rows;
    // Same target and init under two methods: same seed (equal starts).
    expect(rows[0].seed).toBe(rows[3].seed);
    expect(rows[0].seed).not.toBe(rows[1].seed);
    expect(rows[0].seed).toBe(stableSeed(0, 'vanilla:h=0:s=0', 'init=0'));
    // Planning a subset of targets (another position) leaves the seed unchanged.
    const targets = planTargets(spec, V);
    const alone = planRows(spec, targets.slice(2));
    expect(alone[0].seed).toBe(rows.find((r) => r.rowId === alone[0].rowId)!.seed);
    expect(Number.isSafeInteger(rows[0].seed)).toBe(true);
    const otherSweep = planSweep(parseSpec({ ...spec, seed: 1 }), V).rows;
    expect(otherSweep[0].seed).not.toBe(rows[0].seed);
  });

  test('a seed is the low 53 bits of FNV-1a 64 over the names (plain-number hash against the BigInt one)', () => {
    // The published FNV-1a 64 vectors, for the reference itself.
    expect(fnv1a64('')).toBe(0xcbf29ce484222325n);
    expect(fnv1a64('a')).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64('foobar')).toBe(0x85944171f73967e8n);
    const names = ['', 'a', 'vanilla:h=1.25:s=0', 'lm:p=3:i=7', 'é中文😀', 'a lone \ud83d surrogate', 'x'.repeat(3000)];
    for (const seed of [0, 1, 7, 123456789])
      for (const a of names)
        for (const b of names) {
          const reference = Number(fnv1a64(String(seed), a, b) & ((1n << 53n) - 1n));
          expect(stableSeed(seed, a, b)).toBe(reference);
        }
    expect(stableSeed(3)).toBe(Number(fnv1a64('3') & ((1n << 53n) - 1n)));
  });

  test('shards partition the plan exactly, balanced to one row', () => {
    const rows = planSweep(spec, V).rows;
    const shards = [0, 1, 2, 3].map((index) => shardRows(rows, { index, count: 4 }));
    const union = shards
      .flat()
      .map((r) => r.rowId)
      .sort();
    expect(union).toEqual(rows.map((r) => r.rowId).sort());
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(planSweep(parseSpec({ ...spec, shard: '1/4' }), V).shardRows).toEqual(shards[1]);
    expect(() => shardRows(rows, { index: 4, count: 4 })).toThrow(/invalid shard 4\/4/);
  });

  test('remainingRows skips finished rows and keeps plan order', () => {
    const rows = planSweep(spec, V).rows;
    const left = remainingRows(rows, new Set([rows[0].rowId, rows[5].rowId]));
    expect(left).toHaveLength(rows.length - 2);
    expect(left[0]).toBe(rows[1]);
  });
});

describe('planSweepYielding', () => {
  // 81 entropies × 3 methods × 2 inits: 486 rows (one slice); at 0.01 bits 401 targets, 2,406 rows
  // (several).
  const specs = {
    plain: { targets: [{ kind: 'vanilla', entropyBits: '0:max:0.05' }], inits: 2 },
    'many targets': { targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01' }], inits: 2 },
    sharded: { targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01' }], inits: 2, shard: '2/3' },
    'deterministic, sharded': {
      targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01' }],
      inits: 3,
      deterministic: true,
      batchSize: 16,
      shard: '1/2',
    },
  };
  for (const [name, fields] of Object.entries(specs)) {
    test(`plans what planSweep plans (${name})`, async () => {
      const s = parseSpec({
        ...fields,
        methods: [{ method: 'soft' }, { method: 'hard', candidates: 2 }, { method: 'hybrid', pattern: 'HHSSS' }],
      });
      expect(await planSweepYielding(s, V)).toEqual(planSweep(s, V));
    });
  }

  test('lets the event loop turn while it plans', async () => {
    const s = parseSpec({ targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01' }] });
    let turned = false;
    setImmediate(() => (turned = true));
    const plan = await planSweepYielding(s, V);
    expect(plan.rows.length).toBeGreaterThan(2 * 512); // several slices
    expect(turned).toBe(true);
  });

  test('stops when its signal aborts mid-way, with an AbortError, before it plans every row', async () => {
    const s = parseSpec({ targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01' }], inits: 5 });
    const stop = new AbortController();
    // A Ctrl-C a few turns into the plan.
    let turns = 0;
    const spin = () => (++turns === 3 ? stop.abort() : setImmediate(spin));
    setImmediate(spin);
    await expect(planSweepYielding(s, V, {}, stop.signal)).rejects.toThrow(
      expect.objectContaining({ name: 'AbortError' }),
    );
  });

  test('refuses too many rows before planning any', async () => {
    const s = parseSpec({ targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01' }], inits: 10_000 });
    await expect(planSweepYielding(s, V)).rejects.toThrow(/more than the 1,000,000 a sweep may plan/);
  });
});

describe("a sweep's passes over its rows", () => {
  // 401 targets × 3 methods × 10 inits: 12,030 rows.
  const fields = {
    targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01' }],
    inits: 10,
    methods: [{ method: 'soft' }, { method: 'hard', candidates: 2 }, { method: 'hybrid', pattern: 'HHSSS' }],
  };
  const cases = {
    plain: parseSpec(fields),
    deterministic: parseSpec({ ...fields, deterministic: true, batchSize: 16 }),
  };
  for (const [name, spec] of Object.entries(cases)) {
    test(`a resume's rows to run are rowsToRun's, found a slice per turn (${name})`, async () => {
      const { rows } = planSweep(spec, V);
      const finished = new Set(rows.filter((_, i) => i % 3 === 0).map((r) => r.rowId));
      const clock = turnClock();
      const todo = await rowsToRunYielding(spec, rows, finished);
      clock.stop();
      expect(todo).toEqual(rowsToRun(spec, rows, finished));
      expect(clock.turn).toBeGreaterThanOrEqual(8);
    });
  }

  test('a run that has finished no row passes over none: its rows are the plan', async () => {
    const { rows } = planSweep(cases.plain, V);
    expect(await rowsToRunYielding(cases.plain, rows, new Set())).toBe(rows);
  });

  test("the rows by method are rowsByMethod's, grouped a slice per turn", async () => {
    const { rows } = planSweep(cases.plain, V);
    const clock = turnClock();
    const byMethod = await rowsByMethodYielding(rows);
    clock.stop();
    expect(byMethod).toEqual(rowsByMethod(rows));
    expect(clock.turn).toBeGreaterThanOrEqual(8);
  });
});

describe('shardFromEnv', () => {
  test('Slurm arrays, also starting at 1', () => {
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3' })).toEqual({
      index: 2,
      count: 3,
      source: 'SLURM_ARRAY_TASK_ID',
    });
    expect(
      shardFromEnv({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }),
    ).toMatchObject({ index: 2, count: 3 });
  });

  test('Kubernetes Indexed Jobs with a count from the flag or DISTPROMPT_SHARD_COUNT', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '1', DISTPROMPT_SHARD_COUNT: '4' })).toEqual({
      index: 1,
      count: 4,
      source: 'JOB_COMPLETION_INDEX',
    });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '1' }, 2)).toMatchObject({ index: 1, count: 2 });
    expect(shardFromEnv({})).toBeUndefined();
    // The command line's --shard-count is that count; --shard wins over the environment.
    expect(shardText({ shardCount: '2' }, { JOB_COMPLETION_INDEX: '1' })).toBe('1/2');
    expect(shardText({ shard: '0/3' }, { JOB_COMPLETION_INDEX: '1', DISTPROMPT_SHARD_COUNT: '4' })).toBe('0/3');
    expect(shardText({}, {})).toBeUndefined();
  });

  test('clear errors', () => {
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1' })).toThrow(
      /JOB_COMPLETION_INDEX is set but the shard count is unknown/,
    );
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: 'a', DISTPROMPT_SHARD_COUNT: '2' })).toThrow(
      /JOB_COMPLETION_INDEX='a' is not an integer/,
    );
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '5', DISTPROMPT_SHARD_COUNT: '2' })).toThrow(
      /shard index 5 \(from JOB_COMPLETION_INDEX\) must be < count 2/,
    );
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '1' })).toThrow(/SLURM_ARRAY_TASK_COUNT is not/);
    // A count with no index: every task would run the whole sweep.
    expect(() => shardFromEnv({ DISTPROMPT_SHARD_COUNT: '2' })).toThrow(
      /DISTPROMPT_SHARD_COUNT=2 is set, and no scheduler sets a shard index .*: give --shard i\/N, or unset DISTPROMPT_SHARD_COUNT/,
    );
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' }, 4)).toThrow(
      /disagrees with SLURM_ARRAY_TASK_COUNT=3/,
    );
  });
});
