// Automatic batch size: the largest batch that fits comfortably in the memory available on the
// device (availableDeviceBytes, which the size checks use too), capped where larger batches stop
// paying.
//
// CPU (bench/scaling.ts, bench/tune.ts on 2 cores): a GEMM-bound model (random:gpt2, width
// 768) gains until its GEMMs see ~1,280 rows (rows × prompt positions): 256 rows at 5
// positions reach 75% of the best plain matmul. An LM-head-bound one (random:demo, width 128)
// also runs best near 256 rows (bench/RESULTS.md has the figures), and no faster at 1,024.
// Beyond 256 rows a CPU gains little and each refill waits longer. GPU: memory is the only
// cap (4,096 rows at most).
import { freemem } from 'node:os';

import type { ModelInfo } from '../model/info.js';
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

/** Where more rows stop paying on a CPU (see the header): ~1,280 GEMM rows, 16 to 256 rows. */
export function cpuBatchCap(positions: number): number {
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

/**
 * Bytes distprompt may still allocate on `device`: what is free there (freeDeviceBytes), on a CPU
 * also within distprompt's memory cap (DISTPROMPT_CPU_MEMORY_MB or setCpuMemoryLimit) when one is
 * set. Both the automatic batch and the size checks (lib/model/size-check.ts) plan against it.
 */
export function availableDeviceBytes(device: string): number {
  const free = freeDeviceBytes(device);
  if (device !== 'cpu') return free;
  const { memoryLimitBytes: cap, allocatedBytes } = native().memoryStats('cpu');
  return cap ? Math.min(free, Math.max(0, cap - allocatedBytes)) : free;
}

export function autoBatchSize(
  info: ModelInfo,
  positions: number,
  candidates: number,
  rows: number,
  freeBytes?: number,
): number {
  const onCpu = info.device === 'cpu';
  const free = freeBytes ?? availableDeviceBytes(info.device);
  // Half of what is free: activations saved for the backward and allocator slack need the rest.
  const fit = Math.floor((free * 0.5) / bytesPerRow(info, positions, candidates));
  const cap = onCpu ? cpuBatchCap(positions) : 4096;
  return Math.max(1, Math.min(rows, cap, fit));
}
