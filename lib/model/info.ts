// What a loaded model is, as Model.info reports it: its own file, so the size checks and the
// automatic batch that read it do not import the Model they are checked for.
import type { KernelChoice, NativeDtype, NativeModelConfig } from '../native/types-model.js';

export interface ModelInfo {
  name: string;
  family: NativeModelConfig['family'];
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  device: string;
  dtype: NativeDtype;
  parameters: number;
  /** the implementations this model runs where two exist (loadModel's `kernels`) */
  kernels: KernelChoice;
  /** what tells this model from another with the same name (lib/model/identity.ts) */
  identity: string;
  source: 'checkpoint' | 'random';
  config: NativeModelConfig;
}
