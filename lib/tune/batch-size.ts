// Automatic batch size: as many rows as fit comfortably in free device memory, capped where
// larger batches stop paying (bench/tune.ts on 2 CPU cores: random:demo peaks at 64 rows and
// loses a third at 256, when the [rows, vocab] buffers leave the caches).
import { freemem } from 'node:os';

import type { ModelInfo } from '../model/model.js';

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

export function autoBatchSize(info: ModelInfo, positions: number, candidates: number, rows: number, freeBytes?: number): number {
  const onCpu = info.device === 'cpu';
  const free = freeBytes ?? (onCpu ? freemem() : 8 * 2 ** 30);
  const fit = Math.floor((free * 0.5) / bytesPerRow(info, positions, candidates));
  const cap = onCpu ? 64 : 4096;
  return Math.max(1, Math.min(rows, cap, fit));
}
