// Device memory as distprompt sees it: the caching CPU allocator's statistics (what the
// benchmarks report as memory per row), and the automatic batch size built on free memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import { native } from '../lib/native/index.js';
import { autoBatchSize, bytesPerRow, cpuBatchCap } from '../lib/tune/index.js';

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
    if (n.buildInfo().cudaDevices > 0) return;
    expect(() => n.memoryStats('cuda:0')).toThrow(/cuda:0/);
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

  it('gives a GEMM-bound model ~1,280 GEMM rows and an LM-head-bound one 64 rows on a CPU', () => {
    expect(cpuBatchCap(gpt2.info, 5)).toBe(256);
    expect(cpuBatchCap(gpt2.info, 20)).toBe(64);
    expect(cpuBatchCap(demo.info, 5)).toBe(64);
    const plenty = 64 * 2 ** 30;
    expect(autoBatchSize(gpt2.info, 5, 1, 10_000, plenty)).toBe(256);
    expect(autoBatchSize(demo.info, 5, 1, 10_000, plenty)).toBe(64);
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
    expect(b).toBeLessThanOrEqual(64);
  });
});
