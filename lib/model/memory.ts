// The memory a tuner row takes on a model, and what its device has free for it: the automatic
// batch (lib/tune/batch-size.ts) and the size checks (size-check.ts) plan against both.
import { freemem } from 'node:os';

import type { ModelInfo } from './info.js';
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
