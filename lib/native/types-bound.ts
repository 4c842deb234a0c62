// Native exports of the head-bound area (native/addon/bound_ops.cc, native/bound/).
import type { NativeCancelFlag, NativeModel, NativeTensor } from './types-model.js';

/** Every solver option, always passed: the addon has no defaults of its own (lib/bound/options.ts). */
export interface NativeBoundOptions {
  dtype: 'float32' | 'float64';
  tolNats: number;
  maxIterations: number;
  gradTol: number;
  /** 0 skips the bottleneck bound */
  bottleneckIterations: number;
  /** per target, its group (non-decreasing): each run of equal numbers is solved alone, seeded by its number */
  groups: Int32Array;
  returnPoint: boolean;
  /** the sphere value where the ball's optimum is inside */
  sphere: boolean;
  /** random starts of the sphere search, beside the ball optimum's and Wᵀp's directions (each also from its antipode) */
  sphereRandomStarts: number;
  /** set it (an AbortSignal's abort) to stop the solve at its next evaluation; the call then rejects */
  cancel?: NativeCancelFlag;
}

export interface NativeBoundResult {
  headBoundNats: Float64Array;
  gapNats: Float64Array;
  iterations: Int32Array;
  /** the passes over W (evaluations and gradients) of its group's solve that held a row of it */
  passes: Int32Array;
  /** its rows those passes held (its sphere search's starts each a row) */
  passRows: Int32Array;
  /** its group's passes over W */
  groupPasses: Int32Array;
  /** 1 where the norm's radius binds at the solution */
  onBoundary: Uint8Array;
  sphereBoundNats?: Float64Array;
  /** starts that reached the sphere value; 0 where the ball's optimum is on the sphere */
  sphereStarts?: Int32Array;
  sphereResidual?: Float64Array;
  /** the value: the minimum (status 0), the limit at ‖s‖ → ∞ (1), or only the value reached (2) */
  bottleneckBoundNats?: Float64Array;
  bottleneckGradNorm?: Float64Array;
  /** code i is BOTTLENECK_STATUS[i] */
  bottleneckStatus?: Uint8Array;
  /** rows×hidden: the optimal final-norm output s (returnPoint) */
  point?: Float32Array;
  /** rows×vocab: softmax(W s + b) at that s (returnPoint) */
  distribution?: Float32Array;
}

/** An output layer given as plain arrays (headBoundOf in lib/bound/head-of.ts). */
export interface HeadSpec {
  /** vocab×hidden LM head, row-major */
  W: Float32Array;
  vocab: number;
  hidden: number;
  /** the final norm: LayerNorm (outputs γ⊙c + β with Σc = 0, ‖c‖ ≤ √d) or RMSNorm (γ⊙c, ‖c‖ ≤ √d) */
  norm: 'layernorm' | 'rmsnorm';
  /** hidden values; default all ones */
  gamma?: Float32Array;
  /** hidden values, LayerNorm only; default zeros */
  beta?: Float32Array;
  /** vocab values: a bias of the LM head */
  bias?: Float32Array;
  device?: string;
}

export interface BoundAddon {
  CancelFlag: new () => NativeCancelFlag;
  headBound(
    model: NativeModel,
    a: NativeBoundOptions & { targets: Float32Array | NativeTensor },
  ): Promise<NativeBoundResult>;
  headBoundOf(a: NativeBoundOptions & HeadSpec & { targets: Float32Array | NativeTensor }): Promise<NativeBoundResult>;
}

/** The bottleneck search's outcome by its code: a minimum, a limit as ‖s‖ grows, or neither. */
export const BOTTLENECK_STATUS = ['minimum', 'limit', 'unconverged'] as const;
export type BottleneckStatus = (typeof BOTTLENECK_STATUS)[number];
