// Automatic batch size: the largest batch that fits comfortably in the device's free memory,
// capped where larger batches stop paying.
//
// CPU (bench/tune.ts on 2 cores): a GEMM-bound model (random:gpt2, width 768) keeps gaining
// until its GEMMs see ~1,280 rows (rows × prompt positions) — 256 rows at 5 positions reached
// 98% of the rate of 128 and more than 256 gained nothing; a model whose LM head dominates
// (random:demo, width 128) peaks near 64 rows and loses a third at 256, when its [rows, vocab]
// buffers leave the caches. GPU: memory is the only cap (4,096 rows at most, one refill each).
import { freemem } from 'node:os';

import type { ModelInfo } from '../model/model.js';
import { native } from '../native/index.js';

/** Bytes one row of the batch needs on the device, roughly (logit buffers dominate at large V). */
export function bytesPerRow(info: ModelInfo, positions: number, candidates: number): number {
  const act = info.dtype === 'float32' ? 4 : 2;
  // target + logits + gradient of logits + softmax scratch, float32 — per candidate for k > 1
  const vocabBuffers = info.vocabSize * 4 * 4 * Math.max(1, Math.min(candidates, 8));
  const config = info.config;
  const perPosition = (config.hiddenSize * 12 + config.intermediateSize * 3) * act * 2;
  const activations = perPosition * positions * info.layers;
  const state = positions * info.hiddenSize * 4 * 8; // prompt, Adam moments, best prompt
  return vocabBuffers + activations + state;
}

/** Where more rows stop paying on a CPU (see the header): GEMM-bound models want ~1,280 GEMM rows. */
export function cpuBatchCap(info: ModelInfo, positions: number): number {
  const c = info.config;
  const perPosition = c.hiddenSize * ((c.heads + 2 * c.kvHeads) * c.headDim + c.heads * c.headDim + c.intermediateSize * (c.gatedMlp ? 3 : 2));
  const transformer = perPosition * positions * c.layers;
  const head = c.hiddenSize * c.vocabSize;
  if (transformer < head) return 64;
  const rows = Math.ceil(1280 / Math.max(1, positions));
  return Math.min(256, Math.max(16, 2 ** Math.ceil(Math.log2(rows))));
}

/** Free bytes on the model's device, counting what distprompt's allocator holds cached for reuse. */
export function freeDeviceBytes(device: string): number {
  const stats = native().memoryStats(device);
  if (device === 'cpu') return freemem() + stats.cachedBytes;
  if (stats.freeBytes === undefined) throw new Error(`cannot read free memory on ${device}`);
  return stats.freeBytes + stats.cachedBytes;
}

export function autoBatchSize(info: ModelInfo, positions: number, candidates: number, rows: number, freeBytes?: number): number {
  const onCpu = info.device === 'cpu';
  const free = freeBytes ?? freeDeviceBytes(info.device);
  // Half of what is free: activations saved for the backward and allocator slack need the rest.
  const fit = Math.floor((free * 0.5) / bytesPerRow(info, positions, candidates));
  const cap = onCpu ? cpuBatchCap(info, positions) : 4096;
  return Math.max(1, Math.min(rows, cap, fit));
}
