// Native exports of the model area (native/addon/model_wrap.cc, build_info.cc, tensor_handle.cc).

export interface BuildInfo {
  torchVersion: string;
  torchPrefix: string;
  cudaBuild: boolean;
  cudaDevices: number;
  threads: number;
  availableCores: number;
  mkl: boolean;
  parallelInfo: string;
  config: string;
  liveTensors: number;
}

/** The plain configuration the C++ Transformer runs from (native/model/config.h). */
export interface NativeModelConfig {
  family: 'gpt2' | 'llama' | 'qwen2' | 'falcon';
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  norm: 'layernorm' | 'rmsnorm';
  normEps: number;
  position: 'learned' | 'rope';
  ropeTheta: number;
  ropeScaling?: { type: 'none' | 'linear' | 'llama3'; factor: number; lowFreqFactor?: number; highFreqFactor?: number; originalMaxPositions?: number };
  activation: 'gelu_new' | 'gelu' | 'silu';
  gatedMlp: boolean;
  parallelBlock: boolean;
  blockNorms: 1 | 2;
  qkvBias: boolean;
  attnOutBias: boolean;
  mlpBias: boolean;
  tiedEmbeddings: boolean;
  scaleAttnByInverseLayerIdx: boolean;
  /** std of seeded random weights (Hugging Face initializer_range) */
  initStd?: number;
  qkvLayout: 'separate' | 'gpt2' | 'falcon-mq' | 'falcon-grouped' | 'falcon-interleaved';
}

/** One tensor of a safetensors file, with ABSOLUTE byte offsets [begin, end) in that file. */
export interface NativeTensorEntry {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  begin: number;
  end: number;
}

export interface NativeCheckpointFile {
  path: string;
  tensors: NativeTensorEntry[];
}

export type NativeDevice = string; // 'cpu' | 'cuda' | `cuda:${number}`
export type NativeDtype = 'float32' | 'bfloat16' | 'float16';

export interface NativeLoadSpec {
  config: NativeModelConfig;
  device: NativeDevice;
  dtype: NativeDtype;
  /** checkpoint files (validated headers) — or `seed` for seeded random weights */
  files?: NativeCheckpointFile[];
  seed?: number;
}

export interface NativeForwardArgs {
  rows: number;
  positions: number;
  ids?: Int32Array; // rows×positions
  embeds?: Float32Array; // rows×positions×hidden
  positionIds?: Int32Array; // rows×positions
}

export interface NativeTensor {
  shape(): number[];
  dtype(): string;
  device(): string;
  toArray(): Float32Array | Int32Array;
  dispose(): void;
  readonly disposed: boolean;
}

export interface NativeModel {
  info(): { family: string; vocabSize: number; hiddenSize: number; layers: number; heads: number; kvHeads: number; device: string; dtype: string; parameters: number };
  logits(a: NativeForwardArgs): Promise<Float32Array>;
  hidden(a: NativeForwardArgs): Promise<Float32Array>;
  embed(a: { ids: Int32Array; rows: number; positions: number }): Promise<Float32Array>;
  klGradient(a: NativeForwardArgs & { target: Float32Array | NativeTensor }): Promise<{ klNats: Float32Array; gradEmbeds: Float32Array }>;
  embeddingStats(): { mean: number; std: number; rowNormMean: number };
  dispose(): void;
}

export interface MemoryStats {
  allocatedBytes: number;
  peakBytes: number;
  /** freed blocks the allocator keeps for reuse */
  cachedBytes: number;
  /** CPU: the most the cache keeps (DISTPROMPT_CPU_CACHE_MB) */
  cacheLimitBytes?: number;
  cacheHits?: number;
  cacheMisses?: number;
  /** CPU: the cap set by setCpuMemoryLimit / DISTPROMPT_CPU_MEMORY_MB (0 = none) */
  memoryLimitBytes?: number;
  /** CUDA: what cudaMemGetInfo reports free and total */
  freeBytes?: number;
  totalBytes?: number;
}

export interface ModelAddon {
  buildInfo(): BuildInfo;
  setThreads(n: number): void;
  liveTensors(): number;
  loadModel(spec: NativeLoadSpec): Promise<NativeModel>;
  /** allocator statistics for a device (CPU: distprompt's caching allocator; CUDA: libtorch's) */
  memoryStats(device: string): MemoryStats;
  /** start a new high-water mark for memoryStats().peakBytes */
  resetPeakMemory(device: string): void;
  /** hand cached blocks back (CPU: to the OS; CUDA: emptyCache) */
  releaseCachedMemory(device: string): void;
  /** cap CPU tensor memory (bytes, 0 = none): beyond it allocations fail as "CPU out of memory" */
  setCpuMemoryLimit(bytes: number): void;
  /** copy a Float32Array to a device-resident tensor once */
  tensorFromArray(a: { data: Float32Array; shape: number[]; device?: string }): NativeTensor;
}
