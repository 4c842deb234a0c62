// Native exports of the head-bound area (native/addon/bound_ops.cc, native/bound/).
import type { NativeModel } from './types-model.js';

/** Every solver option, always passed: the addon has no defaults of its own (lib/bound/options.ts). */
export interface NativeBoundOptions {
  dtype: 'float32' | 'float64';
  tolNats: number;
  maxIterations: number;
  gradTol: number;
  /** 0 skips the bottleneck bound */
  bottleneckIterations: number;
  batch: number;
  returnPoint: boolean;
}

export interface NativeBoundResult {
  headBoundNats: Float64Array;
  gapNats: Float64Array;
  iterations: Int32Array;
  /** 1 where the norm's radius binds at the solution */
  onBoundary: Uint8Array;
  bottleneckBoundNats?: Float64Array;
  bottleneckGradNorm?: Float64Array;
  bottleneckConverged?: Uint8Array;
  /** rows×hidden: the optimal final-norm output s (returnPoint) */
  point?: Float32Array;
  /** rows×vocab: softmax(W s + b) at that s (returnPoint) */
  distribution?: Float32Array;
}

export interface BoundAddon {
  headBound(
    model: NativeModel,
    a: NativeBoundOptions & { targets: Float32Array; rows: number },
  ): Promise<NativeBoundResult>;
  headBoundOf(
    a: NativeBoundOptions & {
      W: Float32Array;
      vocab: number;
      hidden: number;
      norm: 'layernorm' | 'rmsnorm';
      gamma?: Float32Array;
      beta?: Float32Array;
      bias?: Float32Array;
      targets: Float32Array;
      rows: number;
      device?: string;
    },
  ): Promise<NativeBoundResult>;
}
