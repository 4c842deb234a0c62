// Device memory as distprompt sees it: the caching CPU allocator's statistics (what the
// benchmarks report as memory per row), and the automatic batch size built on free memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import { native } from '../lib/native/index.js';
import { autoBatchSize, bytesPerRow, cpuBatchCap, tune } from '../lib/tune/index.js';

describe('caching CPU allocator', () => {
  it('counts a live block, keeps it cached when freed, and reuses it for the same size', () => {
    const n = native();
    const floats = 3 << 20; // 12 MiB: far above glibc's mmap threshold and the cache's 256 KiB floor
    n.releaseCachedMemory('cpu');
    const before = n.memoryStats('cpu');
    const t = n.tensorFromArray({ data: new Float32Array(floats), shape: [floats] });
    const live = n.memoryStats('cpu');
    expect(live.allocatedBytes - before.allocatedBytes).toBeGreaterThanOrEqual(floats * 4);
    expect(live.peakBytes).toBeGreaterThanOrEqual(live.allocatedBytes);
    t.dispose();
    const freed = n.memoryStats('cpu');
    expect(freed.allocatedBytes).toBe(before.allocatedBytes);
    expect(freed.cachedBytes - before.cachedBytes).toBeGreaterThanOrEqual(floats * 4);
    const again = n.tensorFromArray({ data: new Float32Array(floats).fill(2), shape: [floats] });
    const reused = n.memoryStats('cpu');
    expect(reused.cacheHits!).toBe(freed.cacheHits! + 1);
    expect(reused.cachedBytes).toBe(before.cachedBytes);
    // A reused block holds the new data, not the old zeros.
    expect(Array.from((again.toArray() as Float32Array).subarray(0, 4))).toEqual([2, 2, 2, 2]);
    again.dispose();
    n.releaseCachedMemory('cpu');
    expect(n.memoryStats('cpu').cachedBytes).toBe(0);
  });

  it("gives back the blocks of a size no longer asked for: a long sweep's cache holds the sizes its epochs use, not every size it freed", () => {
    const n = native();
    n.releaseCachedMemory('cpu');
    // 32 sizes of 512 KiB and more, each used once, as the tensors of a batch whose running rows
    // shrink within a chunk are (a size per count of rows), then one size asked for again and again.
    const data = new Float32Array(131_072 + 1024 * 40);
    const use = (floats: number) => n.tensorFromArray({ data: data.subarray(0, floats), shape: [floats] }).dispose();
    for (let i = 0; i < 32; i++) use(131_072 + 1024 * i);
    const once = n.memoryStats('cpu');
    expect(once.cachedBytes).toBeGreaterThanOrEqual(32 * 512 * 1024);
    for (let i = 0; i < 5000; i++) use(data.length);
    const later = n.memoryStats('cpu');
    expect(later.cachedBytes).toBe(data.length * 4);
    expect(later.cacheHits! - once.cacheHits!).toBe(4999);
    n.releaseCachedMemory('cpu');
  });

  it('resets the high-water mark on request', () => {
    const n = native();
    const t = n.tensorFromArray({ data: new Float32Array(1 << 20), shape: [1 << 20] });
    t.dispose();
    expect(n.memoryStats('cpu').peakBytes).toBeGreaterThan(n.memoryStats('cpu').allocatedBytes);
    n.resetPeakMemory('cpu');
    const s = n.memoryStats('cpu');
    expect(s.peakBytes).toBe(s.allocatedBytes);
  });

  it('names a device that is not there', () => {
    const n = native();
    // One past the last CUDA device: cuda:0 on a CPU build or a machine without a GPU.
    const missing = `cuda:${n.buildInfo().cudaDevices}`;
    expect(() => n.memoryStats(missing)).toThrow(new RegExp(`'${missing}'`));
    expect(() => n.memoryStats('tpu')).toThrow(/tpu/);
  });
});

describe('automatic batch size', () => {
  let gpt2: Model;
  let demo: Model;
  beforeAll(async () => {
    gpt2 = await loadModel('random:gpt2', { tokenizer: false });
    demo = await loadModel('random:demo', { tokenizer: false });
  }, 120_000);
  afterAll(() => {
    gpt2?.dispose();
    demo?.dispose();
  });

  it('gives the GEMMs ~1,280 rows (rows × positions) on a CPU, 16 to 256 rows', () => {
    expect(cpuBatchCap(5)).toBe(256);
    expect(cpuBatchCap(20)).toBe(64);
    expect(cpuBatchCap(1)).toBe(256);
    expect(cpuBatchCap(200)).toBe(16);
    const plenty = 64 * 2 ** 30;
    expect(autoBatchSize(gpt2.info, 5, 1, 10_000, plenty)).toBe(256);
    expect(autoBatchSize(demo.info, 20, 1, 10_000, plenty)).toBe(64);
  });

  it('never exceeds the rows there are or half the free memory', () => {
    const plenty = 64 * 2 ** 30;
    expect(autoBatchSize(gpt2.info, 5, 1, 7, plenty)).toBe(7);
    const per = bytesPerRow(gpt2.info, 5, 1);
    expect(autoBatchSize(gpt2.info, 5, 1, 10_000, per * 20)).toBe(10);
    expect(autoBatchSize(gpt2.info, 5, 1, 10_000, 1)).toBe(1);
    // k > 1 candidates need more per row.
    expect(bytesPerRow(gpt2.info, 5, 8)).toBeGreaterThan(per);
  });

  it('reads the free memory of the device when none is given', () => {
    const b = autoBatchSize(demo.info, 5, 1, 10_000);
    expect(b).toBeGreaterThanOrEqual(1);
    expect(b).toBeLessThanOrEqual(256);
  });

  it("plans within distprompt's CPU memory cap, so the tune it sizes does not run out", async () => {
    const n = native();
    const V = demo.info.vocabSize;
    const rows = 48;
    const targets = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) targets.fill(1 / V, r * V, (r + 1) * V);
    const uncapped = autoBatchSize(demo.info, 5, 1, rows);
    expect(uncapped).toBe(rows); // without a cap: as many rows as there are (well within free memory)
    n.releaseCachedMemory('cpu');
    // Room for the targets, then for 16 rows at half of what is left (the automatic batch's margin).
    const per = bytesPerRow(demo.info, 5, 1);
    n.setCpuMemoryLimit(n.memoryStats('cpu').allocatedBytes + targets.byteLength + 2 * 16.5 * per);
    try {
      expect(autoBatchSize(demo.info, 5, 1, rows)).toBe(Math.floor((targets.byteLength / 2 + 16.5 * per) / per));
      const run = tune(demo, { targets, inits: 1, batchSize: 'auto', maxEpochs: 4, patience: 4, ban: 'none' });
      const warnings: string[] = [];
      const batches = new Set<number>();
      run.on('warning', (m: string) => warnings.push(m));
      run.on('progress', (p: { batchSize: number }) => batches.add(p.batchSize));
      const records = await run;
      expect(warnings).toEqual([]); // never out of memory, so never halved
      expect([...batches]).toEqual([16]);
      expect(records).toHaveLength(rows);
    } finally {
      n.setCpuMemoryLimit(0);
    }
  }, 120_000);
});

describe('out of memory during a tune', () => {
  it('halves the batch until it fits, and every row still gets the result it gets alone', async () => {
    const n = native();
    const model = await loadModel('random:demo', { seed: 3, tokenizer: false });
    const V = model.info.vocabSize;
    const rows = 8;
    const targets = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += targets[r * V + v] = Math.exp(Math.sin(v * (r + 1) * 0.37) * 3);
      for (let v = 0; v < V; v++) targets[r * V + v] /= s;
    }
    const opts = {
      targets,
      method: 'soft' as const,
      inits: 1,
      maxEpochs: 6,
      patience: 6,
      chunkEpochs: 3,
      ban: 'none' as const,
    };
    try {
      // What a batch of 2 needs at its peak; then a cap that 2 rows fit under and 8 do not.
      n.releaseCachedMemory('cpu');
      const base = n.memoryStats('cpu').allocatedBytes;
      n.resetPeakMemory('cpu');
      const alone = await tune(model, { ...opts, batchSize: 2 });
      const need2 = n.memoryStats('cpu').peakBytes - base;
      n.resetPeakMemory('cpu');
      await tune(model, { ...opts, batchSize: 8 });
      const need8 = n.memoryStats('cpu').peakBytes - base;
      expect(need8).toBeGreaterThan(need2 * 1.5);
      n.setCpuMemoryLimit(base + Math.floor(need2 + (need8 - need2) / 4));
      const warnings: string[] = [];
      const run = tune(model, { ...opts, batchSize: 8 });
      run.on('warning', (m: string) => warnings.push(m));
      const limited = await run;
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings[0]).toMatch(/out of memory on cpu: batch size halved to 4 \(CPU out of memory/);
      expect(warnings.at(-1)).toMatch(/halved to (2|4)/);
      const byId = new Map(alone.map((r) => [r.rowId, r]));
      expect(new Set(limited.map((r) => r.rowId))).toEqual(new Set(byId.keys()));
      for (const r of limited) expect(r.klNats).toBeCloseTo(byId.get(r.rowId)!.klNats, 4);
    } finally {
      n.setCpuMemoryLimit(0);
      model.dispose();
    }
  }, 120_000);

  it('one row that does not fit is an error naming the memory, not a crash', async () => {
    const n = native();
    const model = await loadModel('random:micro', { seed: 3, tokenizer: false });
    const V = model.info.vocabSize;
    try {
      n.setCpuMemoryLimit(n.memoryStats('cpu').allocatedBytes + 1024);
      await expect(
        tune(model, { targets: new Float32Array(V).fill(1 / V), maxEpochs: 2, ban: 'none' }),
      ).rejects.toThrow(/CPU out of memory/);
    } finally {
      n.setCpuMemoryLimit(0);
      model.dispose();
    }
    // The process is fine afterwards.
    expect(n.memoryStats('cpu').memoryLimitBytes).toBe(0);
  }, 60_000);
});
