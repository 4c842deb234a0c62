// Native exports of the targets area (native/addon/target_ops.cc, native/targets/).
import type { NativeTensor } from './types-model.js';

export interface NativeEntropyTargets {
  targets: NativeTensor;
  entropyNats: Float32Array;
  iterations: Int32Array;
  /** 1 where |H − h| < eps (and, for outliers, the mass condition) was reached */
  converged: Int32Array;
  outlierMass: Float32Array;
}

/** What the distribution rule reads of a table of targets, worked out on its device. */
export interface NativeTargetRowStats {
  /** row-major index of the first value that is not finite or is negative; -1: none */
  firstBad: number;
  firstBadValue: number;
  /** each row's sum, accumulated in float64 */
  sums: Float64Array;
  /** each row's −Σ p log2 p over p > 0 */
  entropyBits: Float64Array;
}

export interface TargetAddon {
  /**
   * Synchronous: a reduction on the tensor's device, or over an array's own memory on the host
   * (then `vocab` gives its rows); per-row numbers come back, not the table.
   */
  targetRowStats(targets: NativeTensor): NativeTargetRowStats;
  targetRowStats(targets: Float32Array, vocab: number): NativeTargetRowStats;
  synthesizeEntropyTargets(a: {
    vocab: number;
    seeds: Float64Array;
    entropyNats: Float64Array;
    method: 'gradient' | 'temperature';
    eps?: number;
    maxIter?: number;
    device?: string;
    outliers?: Int32Array;
    outlierCount?: number;
    minMass?: Float64Array;
    alpha?: number;
    beta?: number;
    /** false: every row stepped until the last has finished, the plain reference (tests) */
    subBatch?: boolean;
  }): Promise<NativeEntropyTargets>;
}
