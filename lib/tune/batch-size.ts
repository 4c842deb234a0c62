// Automatic batch size: the largest batch that fits comfortably in the memory available on the
// device (lib/model/memory.ts), capped where larger batches stop paying.
//
// CPU (bench/scaling.ts, bench/tune.ts on 2 cores): a GEMM-bound model (random:gpt2, width
// 768) gains until its GEMMs see ~1,280 rows (rows × prompt positions): 256 rows at 5
// positions reach 75% of the best plain matmul. An LM-head-bound one (random:demo, width 128)
// also runs best near 256 rows (bench/RESULTS.md has the figures), and no faster at 1,024.
// Beyond 256 rows a CPU gains little and each refill waits longer. GPU: memory is the only
// cap (4,096 rows at most).
import type { ModelInfo } from '../model/info.js';
import { availableDeviceBytes, bytesPerRow } from '../model/memory.js';

/** Where more rows stop paying on a CPU (see the header): ~1,280 GEMM rows, 16 to 256 rows. */
export function cpuBatchCap(positions: number): number {
  const rows = Math.ceil(1280 / Math.max(1, positions));
  return Math.min(256, Math.max(16, 2 ** Math.ceil(Math.log2(rows))));
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
