// Native exports of the tuner area (native/addon/tuner_ops.cc, native/tune/tuner.h).
import type { NativeModel, NativeTensor } from './types-model.js';

export interface NativeTunerOptions {
  slots: number;
  /** one letter per searched position: S soft, H hard */
  pattern: string;
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  candidates?: number;
  patience?: number;
  maxEpochs?: number;
  /** stop a row once its KL is at or below this (default: never) */
  convergedNats?: number;
  init?: 'tokens' | 'gaussian';
  banned?: Int32Array;
  contextBefore?: Int32Array;
  contextAfter?: Int32Array;
  /** soft only: epochs over every slot with masked updates (fixed shapes, no host sync) */
  fixedShapes?: boolean;
  /** soft, CUDA build and device only: the fixed-shape epoch captured as a CUDA graph */
  cudaGraph?: boolean;
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
  /** 0 running, 1 patience, 2 budget, 3 diverged, 4 converged */
  reason: Int32Array;
  /** n×L, -1 at soft positions */
  bestIds: Int32Array;
  /** n×L, the prompt where the search stopped (-1 at soft positions) */
  currentIds: Int32Array;
  /** n×L×hidden, 0 at hard positions */
  bestSoft: Float32Array;
  modelEntropyBits: Float32Array;
  checkLoss: Float32Array;
}

export interface NativeTuner {
  load(a: { slots: Int32Array; targets: Float32Array | NativeTensor; targetRows?: Int32Array; seeds: Float64Array }): Promise<void>;
  step(epochs: number): Promise<NativeStepReport>;
  harvest(slots: Int32Array): Promise<NativeHarvest>;
  abort(): void;
  dispose(): void;
}

export interface TunerAddon {
  createTuner(model: NativeModel, options: NativeTunerOptions): NativeTuner;
}
