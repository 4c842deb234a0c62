// The model and the tuner on a CUDA device against Hugging Face's numbers and the CPU: the rest
// of the suite loads models on the CPU, so without this file a CUDA build would pass having run
// only the kernels on the GPU. Skips (with a notice) where no CUDA device is visible.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib/index.js';
import { native } from '../lib/native/index.js';
import { tune } from '../lib/tune/index.js';
import { headBound } from '../lib/bound/index.js';
import { randomTarget, softmaxRow } from './helpers/dist.js';
import { readGolden, relError } from './helpers/golden.js';

const cuda = native().buildInfo().cudaDevices > 0;
if (!cuda) console.warn('NOTICE: CUDA model and tuner tests skipped: no CUDA device (CPU build or no GPU)');
const root = join(import.meta.dirname, 'fixtures', 'hf-golden');
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe.skipIf(!cuda)('on CUDA', () => {
  it.each(cases)('hf-golden %s: logits and embedding gradient match transformers', async (name) => {
    const dir = join(root, name);
    const g = readGolden(join(dir, 'golden.safetensors'));
    const [rows, positions] = g.input_ids.shape;
    const model = await loadModel(dir, { tokenizer: false, device: 'cuda' });
    try {
      const embeds = g.inputs_embeds.f32!;
      expect(relError(await model.logits({ embeds, rows, positions }), g.logits_embeds.f32!)).toBeLessThan(1e-4);
      const { klNats, gradEmbeds } = await model.klGradient({ embeds, rows, positions, target: g.target.f32! });
      expect(relError(klNats, g.kl.f32!)).toBeLessThan(1e-4);
      expect(relError(gradEmbeds, g.grad_embeds.f32!)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });

  it('the soft tuner reaches the same minima as on the CPU, in float32 and finitely in bfloat16', async () => {
    const cpu = await loadModel('random:micro', { seed: 5, tokenizer: false });
    const gpu = await loadModel('random:micro', { seed: 5, tokenizer: false, device: 'cuda' });
    const gpu16 = await loadModel('random:micro', { seed: 5, tokenizer: false, device: 'cuda', dtype: 'bfloat16' });
    try {
      const V = cpu.info.vocabSize;
      const targets = new Float32Array(4 * V);
      for (let r = 0; r < 4; r++) targets.set(randomTarget(V, 11 + r, 3), r * V);
      const opts = { targets, inits: 2, maxEpochs: 40, patience: 40, ban: 'none' as const };
      const a = await tune(cpu, opts);
      const b = await tune(gpu, opts);
      const byId = new Map(a.map((r) => [r.rowId, r.klNats]));
      for (const r of b)
        expect(Math.abs(r.klNats - byId.get(r.rowId)!)).toBeLessThan(1e-3 * Math.max(1, byId.get(r.rowId)!));
      for (const r of await tune(gpu16, opts)) expect(Number.isFinite(r.klNats)).toBe(true);
    } finally {
      cpu.dispose();
      gpu.dispose();
      gpu16.dispose();
    }
  });

  it('a CUDA graph replay gives every row the result of the same epochs run eagerly, across refills and a part-empty batch', async () => {
    // The replayed epoch must read the rows
    // load() put into the slots after the capture, and leave stopped and empty slots alone.
    // Against the fixed-shape epochs run eagerly (the same kernels on the same shapes, so equal
    // to the last bit but for the capture); test/tune.test.ts shows those equal the usual ones.
    const gpu = await loadModel('random:micro', { seed: 5, tokenizer: false, device: 'cuda' });
    try {
      const V = gpu.info.vocabSize;
      const n = 9;
      const targets = new Float32Array(n * V);
      for (let r = 0; r < n - 1; r++) targets.set(randomTarget(V, 40 + r, 1 + (r % 5)), r * V);
      // The model's own distribution: its rows converge mid-chunk (epochs 14–20 on the CPU),
      // after the capture, and wait masked in their slots until the chunk ends.
      const logits = await gpu.logits({ ids: Int32Array.from([17, 402, 3, 999, 250]), rows: 1, positions: 5 });
      targets.set(softmaxRow(logits, 0, V), (n - 1) * V);
      const opts = {
        targets,
        inits: 3,
        maxEpochs: 31,
        patience: 5,
        convergedNats: 3e-4,
        batchSize: 8,
        chunkEpochs: 3,
        ban: 'none' as const,
      };
      // Both settings: eager fixed-shape epochs with graphs off, and the default (graphs on).
      const eager = new Map(
        (await tune(gpu, { ...opts, fixedShapes: true, cudaGraph: false })).map((r) => [r.rowId, r]),
      );
      const graph = await tune(gpu, opts);
      expect(graph).toHaveLength(27);
      expect(graph.some((r) => r.epochs < 31)).toBe(true);
      for (const r of graph) {
        const e = eager.get(r.rowId)!;
        expect({ reason: r.stopReason, epochs: r.epochs, best: r.bestEpoch }).toEqual({
          reason: e.stopReason,
          epochs: e.epochs,
          best: e.bestEpoch,
        });
        expect(Math.abs(r.klNats - e.klNats)).toBeLessThan(1e-5 * Math.max(1, e.klNats));
      }
    } finally {
      gpu.dispose();
    }
  });

  it("the prefix-cached hard and hybrid epochs make the plain epochs' choices on CUDA", async () => {
    const gpu = await loadModel('random:tiny-llama3', { seed: 3, tokenizer: false, device: 'cuda' });
    try {
      const V = gpu.info.vocabSize;
      const targets = new Float32Array(3 * V);
      for (let t = 0; t < 3; t++) targets.set(randomTarget(V, 40 + t, 3 + t), t * V);
      for (const method of [
        { method: 'hard' as const, candidates: 3, contextBefore: Int32Array.from([11, 7]) },
        { method: 'hybrid' as const, pattern: 'HSHSS' },
      ]) {
        const opts = { targets, inits: 2, maxEpochs: 3, patience: 50, ...method };
        const plain = await tune(gpu, { ...opts, prefixCache: false });
        const cached = new Map((await tune(gpu, { ...opts, prefixCache: true })).map((r) => [r.rowId, r]));
        for (const p of plain) {
          const c = cached.get(p.rowId)!;
          expect(Array.from(c.promptIds), p.rowId).toEqual(Array.from(p.promptIds));
          expect(Math.abs(c.klNats - p.klNats), p.rowId).toBeLessThan(1e-4 * Math.max(1, p.klNats));
        }
      }
    } finally {
      gpu.dispose();
    }
  });

  it('hard and hybrid epochs replayed as a CUDA graph (asked for: not a default) give every row the eager fixed-shape result, across refills and a part-empty batch', async () => {
    // As the soft case above: the replayed positional epoch (one forward and backward per
    // position, HotFlip's selection, the k > 1 trials, the prefix cache) must read the rows
    // load() put in after the capture and leave stopped and empty slots alone.
    // test/tune-fixed-positional.test.ts shows the eager fixed-shape epoch equals the usual one.
    const gpu = await loadModel('random:tiny-llama3', { seed: 3, tokenizer: false, device: 'cuda' });
    try {
      const V = gpu.info.vocabSize;
      const bits = [5, 2, 6, 3, 4]; // the 2- and 3-bit targets' rows converge early, beside rows that run on
      const targets = new Float32Array(bits.length * V);
      bits.forEach((b, t) => targets.set(randomTarget(V, 80 + t, b), t * V));
      for (const method of [
        {
          method: 'hard' as const,
          prefixLength: 3,
          candidates: 3,
          contextBefore: Int32Array.from([11, 7]),
          contextAfter: Int32Array.from([5]),
        },
        { method: 'hybrid' as const, pattern: 'HSHSS' },
      ]) {
        const opts = {
          targets,
          inits: 2,
          maxEpochs: 5,
          patience: 50,
          convergedNats: 0.9,
          batchSize: 4,
          chunkEpochs: 2,
        };
        const eager = new Map(
          (await tune(gpu, { ...opts, ...method, fixedShapes: true, cudaGraph: false })).map((r) => [r.rowId, r]),
        );
        const graph = await tune(gpu, { ...opts, ...method, cudaGraph: true });
        expect(graph).toHaveLength(10);
        expect(new Set(graph.map((r) => r.epochs)).size).toBeGreaterThan(1);
        for (const r of graph) {
          const e = eager.get(r.rowId)!;
          expect({ reason: r.stopReason, epochs: r.epochs, best: r.bestEpoch, ids: Array.from(r.promptIds) }).toEqual({
            reason: e.stopReason,
            epochs: e.epochs,
            best: e.bestEpoch,
            ids: Array.from(e.promptIds),
          });
          expect(Math.abs(r.klNats - e.klNats)).toBeLessThan(1e-5 * Math.max(1, e.klNats));
        }
      }
    } finally {
      gpu.dispose();
    }
  });

  // The check a kernel choice passes before its CUDA default turns on (model/kernel_choice.h):
  // the same numbers and tuner choices with it on as off, on the device, float32 and bfloat16.
  it('every kernel choice on CUDA: the shared-target candidate KL, grouped attention and the fused RMSNorm agree with the plain paths', async () => {
    const rows = 3,
      k = 4,
      V = 2049;
    const logits = Float32Array.from({ length: rows * k * V }, (_, i) => Math.sin(i * 0.37) * 6);
    const target = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) target.set(randomTarget(V, 70 + r, 3), r * V);
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const a = { logits, target, rows, vocab: V, candidates: k, dtype };
      const cpu = await native().klCandidates(a);
      const shared = await native().klCandidates({ ...a, device: 'cuda' });
      const copied = await native().klCandidates({ ...a, device: 'cuda', shared: false });
      for (let i = 0; i < rows * k; i++) {
        expect(shared[i]).toBe(copied[i]);
        expect(Math.abs(shared[i] - cpu[i])).toBeLessThan(1e-4 * Math.max(1, cpu[i]));
      }
    }
    const all = { sharedTargets: true, groupedAttention: true, fusedRmsNorm: true };
    const none = { sharedTargets: false, groupedAttention: false, fusedRmsNorm: false };
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const off = await loadModel('random:tiny-llama3', {
        seed: 3,
        tokenizer: false,
        device: 'cuda',
        dtype,
        kernels: none,
      });
      const on = await loadModel('random:tiny-llama3', {
        seed: 3,
        tokenizer: false,
        device: 'cuda',
        dtype,
        kernels: all,
      });
      try {
        const W = off.info.vocabSize;
        const ids = Int32Array.from({ length: 2 * 7 }, (_, i) => (i * 1013) % W);
        const [x, y] = [
          await off.logits({ ids, rows: 2, positions: 7 }),
          await on.logits({ ids, rows: 2, positions: 7 }),
        ];
        let worst = 0,
          scale = 0;
        for (let i = 0; i < x.length; i++) {
          worst = Math.max(worst, Math.abs(x[i] - y[i]));
          scale = Math.max(scale, Math.abs(x[i]));
        }
        expect(worst / scale, dtype).toBeLessThan(dtype === 'float32' ? 1e-5 : 0.05);
        if (dtype !== 'float32') continue;
        const targets = new Float32Array(2 * W);
        for (let t = 0; t < 2; t++) targets.set(randomTarget(W, 50 + t, 3), t * W);
        const opts = { targets, inits: 2, maxEpochs: 3, patience: 50, method: 'hard' as const, candidates: 4 };
        const plain = await tune(off, opts);
        const chosen = new Map((await tune(on, opts)).map((r) => [r.rowId, r]));
        for (const p of plain) {
          expect(Array.from(chosen.get(p.rowId)!.promptIds), p.rowId).toEqual(Array.from(p.promptIds));
          expect(Math.abs(chosen.get(p.rowId)!.klNats - p.klNats)).toBeLessThan(1e-4 * Math.max(1, p.klNats));
        }
      } finally {
        off.dispose();
        on.dispose();
      }
    }
  });

  it('the head bounds (ball and sphere) on CUDA match the CPU, in float64 and float32, for a float32 and a bfloat16 model', async () => {
    const cpu = await loadModel('random:micro', { seed: 5, tokenizer: false });
    const gpu = await loadModel('random:micro', { seed: 5, tokenizer: false, device: 'cuda' });
    const gpu16 = await loadModel('random:micro', { seed: 5, tokenizer: false, device: 'cuda', dtype: 'bfloat16' });
    try {
      const V = cpu.info.vocabSize;
      const targets = new Float32Array(3 * V);
      [0.5, 2, 6].forEach((scale, i) => targets.set(randomTarget(V, 40 + i, scale), i * V));
      const want = await headBound(cpu, targets);
      for (const [model, dtype, tol] of [
        [gpu, 'float64', 1e-6],
        [gpu, 'float32', 1e-3],
        [gpu16, 'float64', 5e-2],
      ] as const) {
        const got = await headBound(model, targets, { dtype, tolNats: dtype === 'float32' ? 1e-4 : 1e-5 });
        got.forEach((g, i) => {
          expect(Number.isFinite(g.headBoundNats)).toBe(true);
          expect(Math.abs(g.headBoundNats - want[i].headBoundNats)).toBeLessThan(
            tol * Math.max(1, want[i].headBoundNats),
          );
          expect(g.bottleneckBoundNats!).toBeLessThanOrEqual(g.headBoundNats + 1e-9);
          // The sphere search draws its random starts on the CPU: the same starts on every device.
          expect(Math.abs(g.sphereBoundNats! - want[i].sphereBoundNats!)).toBeLessThan(
            tol * Math.max(1, want[i].sphereBoundNats!),
          );
        });
      }
    } finally {
      cpu.dispose();
      gpu.dispose();
      gpu16.dispose();
    }
  });

  it("targetRowStats on the device (its torch reduction) matches the host's one-pass read of the same table", async () => {
    for (const [rows, vocab] of [
      [3, 7],
      [4, 2 ** 17 + 5],
    ]) {
      const t = new Float32Array(rows * vocab);
      let s = 3;
      for (let i = 0; i < t.length; i++) t[i] = ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * (2 / vocab);
      t[vocab + 4] = -1;
      const gpu = await native().uploadTensor({ data: t, shape: [rows, vocab], device: 'cuda' });
      try {
        const [device, host] = [native().targetRowStats(gpu), native().targetRowStats(t, vocab)];
        expect([device.firstBad, device.firstBadValue]).toEqual([host.firstBad, host.firstBadValue]);
        expect(device.sums[0]).toBeCloseTo(host.sums[0], 9);
        expect(device.entropyBits[0]).toBeCloseTo(host.entropyBits[0], 9);
      } finally {
        gpu.dispose();
      }
    }
  });

  it('reports device memory, and a device index that is not there is named', () => {
    const s = native().memoryStats('cuda');
    expect(s.totalBytes!).toBeGreaterThan(0);
    expect(s.freeBytes!).toBeGreaterThan(0);
    const n = native().buildInfo().cudaDevices;
    expect(() => native().memoryStats(`cuda:${n}`)).toThrow(new RegExp(`cuda:${n}`));
  });
});
