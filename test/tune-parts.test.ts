// The parts of tune()'s loop, each alone: the slot scheduler, harvest → records, the
// out-of-memory policy, the row plan (ids and seeds shared with the sweep planner) and when
// epochs run as a CUDA graph.
import { describe, expect, it } from 'vitest';

import type { NativeHarvest } from '../lib/native/types-tuner.js';
import { parseSpec } from '../lib/spec/index.js';
import { planRows, planTargets, rowId, rowSeed, stableSeed } from '../lib/sweep/index.js';
import { recordsFromHarvest, type PlannedRow } from '../lib/tune/harvest.js';
import { isOutOfMemory, onOutOfMemory } from '../lib/tune/oom.js';
import { cudaGraphFor } from '../lib/spec/tune-options.js';
import { planTuneRows } from '../lib/tune/rows.js';
import { SlotScheduler } from '../lib/tune/scheduler.js';
import { turnClock } from './helpers/turns.js';

describe('SlotScheduler, continuous', () => {
  it('fills free slots lowest first in plan order, and refills a freed slot with the next row', () => {
    const s = new SlotScheduler(['a', 'b', 'c', 'd', 'e'], 3, { now: () => 7 });
    expect(s.fill().map((p) => [p.slot, p.row, p.started])).toEqual([
      [0, 'a', 7],
      [1, 'b', 7],
      [2, 'c', 7],
    ]);
    expect(s.fill()).toEqual([]); // nothing free
    expect(s.release(1).row).toBe('b');
    expect(s.activeSlots()).toEqual([0, 2]);
    expect(s.fill().map((p) => [p.slot, p.row])).toEqual([[1, 'd']]);
    s.release(0);
    s.release(2);
    expect(s.fill().map((p) => [p.slot, p.row])).toEqual([[0, 'e']]);
    expect(s.queued).toBe(0);
    expect(s.active).toBe(2);
    expect(() => s.release(2)).toThrow(/slot 2 holds no row/);
  });

  it('reads no row of the queue until it loads it: 500,000 rows are not copied into a queue of their own', () => {
    let reads = 0;
    const rows = new Proxy(
      Array.from({ length: 9000 }, (_, i) => i),
      {
        get(target, key, receiver) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
          return Reflect.get(target, key, receiver) as unknown;
        },
      },
    );
    const s = new SlotScheduler(rows, 3);
    expect(reads).toBe(0);
    expect(s.queued).toBe(9000);
    expect(s.fill().map((p) => p.row)).toEqual([0, 1, 2]);
    expect(reads).toBe(3);
    expect(s.queued).toBe(8997);
  });

  it('restart puts the rows in flight back first, in slot order, with a new slot count', () => {
    const s = new SlotScheduler([1, 2, 3, 4, 5, 6], 4);
    s.fill(); // 1 2 3 4
    s.release(0);
    s.fill(); // 5 in slot 0
    s.restart(2);
    expect(s.slotCount).toBe(2);
    expect(s.active).toBe(0);
    const order: number[] = [];
    for (let p = s.fill(); p.length; p = s.fill()) for (const x of p) order.push(s.release(x.slot).row);
    expect(order).toEqual([5, 2, 3, 4, 6]);
    expect(() => s.restart(0)).toThrow(/slots must be a positive integer/);
  });
});

describe('SlotScheduler, grouped (deterministic mode)', () => {
  it('loads a whole group into an empty tuner only, and never mixes groups', () => {
    const rows = [
      { id: 'a', g: 0 },
      { id: 'b', g: 0 },
      { id: 'c', g: 0 },
      { id: 'd', g: 1 },
      { id: 'e', g: 1 },
      { id: 'f', g: 2 },
    ];
    const s = new SlotScheduler(rows, 3, { groupOf: (r) => r.g });
    expect(s.fill().map((p) => p.row.id)).toEqual(['a', 'b', 'c']);
    s.release(1); // b stopped early: its slot stays empty until the group is done
    expect(s.fill()).toEqual([]);
    s.release(0);
    s.release(2);
    expect(s.fill().map((p) => [p.slot, p.row.id])).toEqual([
      [0, 'd'],
      [1, 'e'],
    ]);
    s.release(0);
    s.release(1);
    expect(s.fill().map((p) => p.row.id)).toEqual(['f']);
  });

  it('groups by key in the order of their first row; a group larger than the batch is an error', () => {
    const s = new SlotScheduler(['x1', 'y1', 'x2'], 2, { groupOf: (r) => r[0] });
    expect(s.fill().map((p) => p.row)).toEqual(['x1', 'x2']);
    expect(() => new SlotScheduler([1, 2, 3], 2, { groupOf: () => 'g' })).toThrow(
      /group g has 3 rows but the batch has 2 slots/,
    );
  });
});

describe('recordsFromHarvest', () => {
  const harvest = (): NativeHarvest => ({
    bestLoss: Float32Array.from([0.5, 2]),
    bestEpoch: Int32Array.from([3, 0]),
    epochs: Int32Array.from([23, 4]),
    reason: Int32Array.from([1, 0]),
    bestIds: Int32Array.from([5, -1, 6, -1]),
    currentIds: Int32Array.from([7, -1, 8, -1]),
    bestSoft: Float32Array.from([0, 0, 1, 2, 0, 0, 3, 4]),
    modelEntropyBits: Float32Array.from([1.5, 2.5]),
    checkLoss: Float32Array.from([0.5, 2]),
    maxAbsLogit: Float32Array.from([12.5, 30]),
  });
  const rows: { row: PlannedRow; started: number }[] = [
    { row: { targetIndex: 1, initId: 0, rowId: 'B|init=0|hybrid:HS:k=1', seed: 11 }, started: 100 },
    { row: { targetIndex: 0, initId: 2, rowId: 'A|init=2|hybrid:HS:k=1', seed: 12 }, started: 150 },
  ];
  const context = {
    settings: { method: 'hybrid' as const, pattern: 'HS', candidates: 1, prefixLength: 2, returnSoftPrompt: true },
    targets: { ids: ['A', 'B'], entropyBits: [4, 8] },
    hiddenSize: 2,
    decode: (ids: Int32Array) => Array.from(ids, (i) => (i < 0 ? '⟨soft⟩' : `t${i}`)).join(''),
    now: 400,
  };

  it('slices each row out of the columns and names its target, reason and wall time', () => {
    const [a, b] = recordsFromHarvest(harvest(), rows, context);
    expect(a).toMatchObject({
      rowId: 'B|init=0|hybrid:HS:k=1',
      targetIndex: 1,
      targetId: 'B',
      initId: 0,
      seed: 11,
      method: 'hybrid',
      pattern: 'HS',
    });
    expect(a).toMatchObject({
      klNats: 0.5,
      bestEpoch: 3,
      epochs: 23,
      stopReason: 'patience',
      modelEntropyBits: 1.5,
      maxAbsLogit: 12.5,
      targetEntropyBits: 8,
      wallMs: 300,
    });
    expect(Array.from(a.promptIds)).toEqual([5, -1]);
    expect(Array.from(a.finalIds)).toEqual([7, -1]);
    expect(a.promptText).toBe('t5⟨soft⟩');
    expect(Array.from(a.softPrompt!)).toEqual([0, 0, 1, 2]);
    // Harvested while still running: the run was aborted.
    expect(b).toMatchObject({ targetId: 'A', stopReason: 'aborted', klNats: 2, wallMs: 250, targetEntropyBits: 4 });
    expect(Array.from(b.softPrompt!)).toEqual([0, 0, 3, 4]);
  });

  it('soft rows have no text; soft embeddings only when asked for', () => {
    const soft = {
      ...context,
      settings: { ...context.settings, method: 'soft' as const, pattern: 'SS', returnSoftPrompt: false },
    };
    const [a] = recordsFromHarvest(harvest(), rows, soft);
    expect(a.promptText).toBeNull();
    expect(a.softPrompt).toBeNull();
  });
});

describe('out-of-memory policy', () => {
  const oom = new Error('CPU out of memory: tried to allocate 4 MB\nmore detail');
  it('halves the batch down to one row, then gives up with the original error', () => {
    expect(onOutOfMemory(oom, 8, { device: 'cpu', deterministic: false })).toEqual({
      retry: true,
      slots: 4,
      warning: 'out of memory on cpu: batch size halved to 4 (CPU out of memory: tried to allocate 4 MB)',
    });
    expect(onOutOfMemory(oom, 3, { device: 'cpu', deterministic: false })).toMatchObject({ retry: true, slots: 1 });
    expect(onOutOfMemory(oom, 1, { device: 'cpu', deterministic: false })).toEqual({ retry: false, error: oom });
  });

  it('other errors pass through; deterministic mode never shrinks its batch and says what to do', () => {
    const other = new Error('tuner.load: slot 9 out of range');
    expect(isOutOfMemory(other)).toBe(false);
    expect(isOutOfMemory(new Error('CUDA error: not enough memory'))).toBe(true);
    expect(onOutOfMemory(other, 8, { device: 'cpu', deterministic: false })).toEqual({ retry: false, error: other });
    const d = onOutOfMemory(oom, 8, { device: 'cuda:0', deterministic: true });
    expect(d.retry).toBe(false);
    expect(String((d as { error: Error }).error.message)).toMatch(
      /out of memory on cuda:0 with a batch of 8 rows .*rerun with a smaller batchSize/,
    );
  });
});

describe('row ids and seeds: one derivation for tune() and the sweep planner', () => {
  it("tune()'s default rows carry the planner's ids and seeds", async () => {
    const spec = parseSpec({
      targets: [{ kind: 'vanilla', entropyBits: [0, 3] }],
      methods: [{ method: 'hybrid', pattern: 'HHSSS', candidates: 2 }],
      inits: 2,
      seed: 9,
    });
    const targets = planTargets(spec, 1000);
    const planned = planRows(spec, targets);
    const settings = {
      inits: 2,
      seed: 9,
      method: 'hybrid' as const,
      pattern: 'HHSSS',
      candidates: 2,
      deterministic: false,
      batchSize: 'auto' as const,
    };
    const rows = await planTuneRows(
      undefined,
      { count: targets.length, ids: targets.map((t) => t.targetId) },
      settings,
    );
    expect(rows.map((r) => [r.rowId, r.seed])).toEqual(planned.map((r) => [r.rowId, r.seed]));
    // The stored format (results files and journals match rows by it) stays as it was.
    expect(rows[3].rowId).toBe('vanilla:h=3:s=0|init=1|hybrid:HHSSS:k=2');
    expect(rowId('t', 0, { method: 'soft', pattern: 'SSSSS', candidates: 1 })).toBe('t|init=0|soft');
    expect(rowSeed(9, 'vanilla:h=3:s=0', 1)).toBe(stableSeed(9, 'vanilla:h=3:s=0', 'init=1'));
  });

  it('deterministic rows get groups of batchSize in the given order unless they bring their own', async () => {
    const t = { count: 3, ids: ['a', 'b', 'c'] };
    const s = {
      inits: 2,
      seed: 0,
      method: 'soft' as const,
      pattern: 'S',
      candidates: 1,
      deterministic: true,
      batchSize: 4,
    };
    expect((await planTuneRows(undefined, t, s)).map((r) => r.group)).toEqual([0, 0, 0, 0, 1, 1]);
    expect((await planTuneRows([{ targetIndex: 2, initId: 0, group: 'x' }], t, s))[0].group).toBe('x');
    expect((await planTuneRows(undefined, t, { ...s, deterministic: false }))[0]).not.toHaveProperty('group');
    await expect(planTuneRows([{ targetIndex: 3, initId: 0 }], t, s)).rejects.toThrow(
      /rows\[0\]\.targetIndex: 3 is outside the 3 targets/,
    );
  });

  it("plans a sweep's rows a slice per turn of the event loop, not in one stretch", async () => {
    const t = { count: 3, ids: ['a', 'b', 'c'] };
    const s = { inits: 3000, seed: 0, method: 'soft' as const, pattern: 'S', candidates: 1, deterministic: false };
    const clock = turnClock();
    const rows = await planTuneRows(undefined, t, { ...s, batchSize: 'auto' as const });
    clock.stop();
    expect(rows).toHaveLength(9000);
    // 1,000 rows a turn: at least 8 turns between the first slice and the last.
    expect(clock.turn).toBeGreaterThanOrEqual(8);
  });
});

describe('CUDA graphs: on by default wherever they are exact', () => {
  it('soft prompts on a CUDA device replay their epochs as a graph unless asked not to; nothing else does', () => {
    expect(cudaGraphFor({ method: 'soft' }, 'cuda')).toBe(true);
    expect(cudaGraphFor({ method: 'soft' }, 'cuda:1')).toBe(true);
    expect(cudaGraphFor({ method: 'soft' }, 'cpu')).toBe(false);
    expect(cudaGraphFor({ method: 'hard' }, 'cuda')).toBe(false);
    expect(cudaGraphFor({ method: 'hybrid' }, 'cuda')).toBe(false);
    expect(cudaGraphFor({ method: 'soft', cudaGraph: false }, 'cuda')).toBe(false);
    // Asked for where it cannot run: passed on, and tune() rejects it with a message (tune.test.ts).
    expect(cudaGraphFor({ method: 'soft', cudaGraph: true }, 'cpu')).toBe(true);
  });
});
