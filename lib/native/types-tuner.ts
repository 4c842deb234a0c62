// Native exports of the tuner area (native/addon/tuner_ops.cc, native/tune/tuner.h).
import type { NativeModel, NativeTensor } from './types-model.js';

/**
 * Every setting the native tuner runs with. It has no defaults of its own (those are the study's,
 * lib/spec/defaults.ts, applied by tune()): a missing field is an error naming it. Only the
 * optional features below may be left out, and leaving one out means "not used".
 */
export interface NativeTunerOptions {
  slots: number;
  /** one letter per searched position: S soft, H hard */
  pattern: string;
  lr: number;
  beta1: number;
  beta2: number;
  /** AdamW denominator epsilon */
  eps: number;
  weightDecay: number;
  candidates: number;
  patience: number;
  maxEpochs: number;
  init: 'tokens' | 'gaussian';
  /** epochs over every slot with masked updates (fixed shapes, no host sync), any pattern */
  fixedShapes: boolean;
  /** CUDA build and device only: the fixed-shape epoch captured as a CUDA graph */
  cudaGraph: boolean;
  /** hard and hybrid: each position's step reuses the keys/values of the positions before it */
  prefixCache: boolean;
  /** all-hard patterns: a row back at a prompt a recent epoch began from stops ('stalled'; native/tune/tuner.h) */
  stopStalled: boolean;
  /** stop a row once its KL is at or below this (absent: never) */
  convergedNats?: number;
  /** token ids hard positions (and token init) never take (absent: none) */
  banned?: Int32Array;
  /** fixed token ids before / after the searched positions (absent: none) */
  contextBefore?: Int32Array;
  contextAfter?: Int32Array;
}

export interface NativeStepReport {
  epochsRun: number;
  active: number;
  /** per slot: 1 when a loaded row has stopped and awaits harvest */
  stopped: Uint8Array;
  bestLoss: Float32Array;
}

export interface NativeHarvest {
  bestLoss: Float32Array;
  bestEpoch: Int32Array;
  epochs: Int32Array;
  /** a native stop code: the index of its reason in NATIVE_STOP_REASONS (lib/tune/stop-reasons.ts) */
  reason: Int32Array;
  /** n×L, -1 at soft positions */
  bestIds: Int32Array;
  /** n×L, the prompt where the search stopped (-1 at soft positions) */
  currentIds: Int32Array;
  /** n×L×hidden, 0 at hard positions */
  bestSoft: Float32Array;
  modelEntropyBits: Float32Array;
  checkLoss: Float32Array;
  /** the largest |logit| at the best prompt, in the model's dtype */
  maxAbsLogit: Float32Array;
}

export interface NativeTuner {
  load(a: {
    slots: Int32Array;
    targets: Float32Array | NativeTensor;
    targetRows?: Int32Array;
    seeds: Float64Array;
  }): Promise<void>;
  step(epochs: number): Promise<NativeStepReport>;
  harvest(slots: Int32Array): Promise<NativeHarvest>;
  abort(): void;
  dispose(): void;
}

export interface TunerAddon {
  createTuner(model: NativeModel, options: NativeTunerOptions): NativeTuner;
  /** the names of the native StopReason enum (native/tune/tuner.h), in its order */
  stopReasons(): string[];
}
