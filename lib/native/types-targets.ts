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

export interface TargetAddon {
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
  }): Promise<NativeEntropyTargets>;
}
