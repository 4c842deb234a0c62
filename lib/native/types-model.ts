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

/**
 * The fields of the plain configuration the C++ Transformer runs from (native/model/config.h),
 * declared once: NativeModelConfig's type is derived from this list, the addon reads exactly
 * these fields (a missing or unknown one is an error naming it), and NativeModel.config() echoes
 * them back as the C++ struct holds them, which is how test/native-boundary.test.ts checks that
 * every field arrives. A field's kind is 'int', 'number', 'bool', or the list of values it takes.
 */
export const MODEL_CONFIG_FIELDS = {
  family: ['gpt2', 'llama', 'qwen2', 'falcon'],
  vocabSize: 'int',
  hiddenSize: 'int',
  layers: 'int',
  heads: 'int',
  kvHeads: 'int',
  headDim: 'int',
  intermediateSize: 'int',
  maxPositions: 'int',
  norm: ['layernorm', 'rmsnorm'],
  normEps: 'number',
  position: ['learned', 'rope'],
  ropeTheta: 'number',
  activation: ['gelu_new', 'gelu', 'silu'],
  /** SwiGLU: down(act(gate(x)) * up(x)) */
  gatedMlp: 'bool',
  /** Falcon: x + attn(ln(x)) + mlp(ln(x)) */
  parallelBlock: 'bool',
  /** parallel block: 1 shared norm (Falcon-7B) or 2 (ln_attn, ln_mlp) */
  blockNorms: [1, 2],
  qkvBias: 'bool',
  attnOutBias: 'bool',
  mlpBias: 'bool',
  tiedEmbeddings: 'bool',
  /** the GPT-2 option */
  scaleAttnByInverseLayerIdx: 'bool',
  /** std of seeded random weights (Hugging Face initializer_range) */
  initStd: 'number',
  /** checkpoint layout of the fused qkv weight, where the family has one */
  qkvLayout: ['separate', 'gpt2', 'falcon-mq', 'falcon-grouped', 'falcon-interleaved'],
} as const;

/** RoPE scaling: llama3 needs its three extra fields; absent from a config means no scaling. */
export const ROPE_SCALING_FIELDS = {
  type: ['none', 'linear', 'llama3'],
  factor: 'number',
  lowFreqFactor: 'number',
  highFreqFactor: 'number',
  originalMaxPositions: 'number',
} as const;

type FieldKind = 'int' | 'number' | 'bool' | readonly (string | number)[];
type FieldValue<K extends FieldKind> = K extends 'int' | 'number'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends readonly (infer V)[]
      ? V
      : never;
type Fields<T extends Record<string, FieldKind>> = { -readonly [K in keyof T]: FieldValue<T[K]> };

type RopeFields = Fields<typeof ROPE_SCALING_FIELDS>;
export type NativeRopeScaling =
  { type: 'none' | 'linear'; factor: number } | ({ type: 'llama3' } & Omit<RopeFields, 'type'>);

/** The plain configuration the C++ Transformer runs from (native/model/config.h). */
export type NativeModelConfig = Fields<typeof MODEL_CONFIG_FIELDS> & {
  /** absent: no scaling */
  ropeScaling?: NativeRopeScaling;
};

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
  /** view the file's mapping (zero copy) instead of reading the weights into owned memory */
  map?: boolean;
}

export type NativeDevice = string; // 'cpu' | 'cuda' | `cuda:${number}`
/** The dtypes a model's weights load in (loadModel's and a spec's or study's `dtype`). */
export const DTYPES = ['float32', 'bfloat16', 'float16'] as const;
export type NativeDtype = (typeof DTYPES)[number];

/**
 * Where two implementations of one computation exist, which one the model uses (the native
 * KernelChoice, model/kernel_choice.h, states the defaults per device). Each is checked against
 * the plain one on the CPU; on CUDA an alternative is off until the GPU tests pass with it.
 */
export interface KernelChoice {
  /** k > 1 HotFlip candidates read their row's target in place (no copy per candidate) */
  sharedTargets: boolean;
  /** grouped-query attention through SDPA's grouped path instead of expanding keys and values */
  groupedAttention: boolean;
  /** RMSNorm by libtorch's fused rms_norm instead of transformers' exact float32 sequence */
  fusedRmsNorm: boolean;
}
export const KERNEL_CHOICES = [
  'sharedTargets',
  'groupedAttention',
  'fusedRmsNorm',
] as const satisfies readonly (keyof KernelChoice)[];

export interface NativeLoadSpec {
  config: NativeModelConfig;
  device: NativeDevice;
  dtype: NativeDtype;
  /** overrides of the device's defaults */
  kernels?: Partial<KernelChoice>;
  /** checkpoint files (validated headers) — or `seed` for seeded random weights */
  files?: NativeCheckpointFile[];
  seed?: number;
  /** set it (an AbortSignal's abort) to stop the build before its next tensor; the call then rejects */
  cancel?: NativeCancelFlag;
}

/** A flag JavaScript sets to stop a native call at its next check (native/addon/cancel.h). */
export interface NativeCancelFlag {
  cancel(): void;
  readonly cancelled: boolean;
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
  /** toArray's copy of a float32 tensor, made on the addon's pool (large reads never hold the loop) */
  read(): Promise<Float32Array>;
  dispose(): void;
  readonly disposed: boolean;
}

export interface NativeModel {
  info(): {
    family: string;
    vocabSize: number;
    hiddenSize: number;
    layers: number;
    heads: number;
    kvHeads: number;
    device: string;
    /** the dtype it was loaded in */
    dtype: NativeDtype;
    parameters: number;
    kernels: KernelChoice;
  };
  /** the configuration as the C++ struct holds it: every field of MODEL_CONFIG_FIELDS, and ropeScaling */
  config(): NativeModelConfig & { ropeScaling: RopeFields };
  logits(a: NativeForwardArgs): Promise<Float32Array>;
  hidden(a: NativeForwardArgs): Promise<Float32Array>;
  embed(a: { ids: Int32Array; rows: number; positions: number }): Promise<Float32Array>;
  klGradient(
    a: NativeForwardArgs & { target: Float32Array | NativeTensor },
  ): Promise<{ klNats: Float32Array; gradEmbeds: Float32Array }>;
  /** the token embeddings' statistics; positionStd that of learned position embeddings (GPT-2) */
  embeddingStats(): { mean: number; std: number; rowNormMean: number; positionStd?: number };
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
  /** whole number of threads, 1 to 1024 (a RangeError beyond) */
  setThreads(n: number): void;
  liveTensors(): number;
  loadModel(spec: NativeLoadSpec): Promise<NativeModel>;
  /** allocator statistics for a device (CPU: distprompt's caching allocator; CUDA: libtorch's) */
  memoryStats(device: string): MemoryStats;
  /** start a new high-water mark for memoryStats().peakBytes */
  resetPeakMemory(device: string): void;
  /** hand cached blocks back (CPU: to the OS; CUDA: emptyCache) */
  releaseCachedMemory(device: string): void;
  /** cap CPU tensor memory (bytes 0 to 2^53, 0 = none): beyond it allocations fail as "CPU out of memory" */
  setCpuMemoryLimit(bytes: number): void;
  /** copy a Float32Array to a device-resident tensor once */
  tensorFromArray(a: { data: Float32Array; shape: number[]; device?: string }): NativeTensor;
  /** tensorFromArray with the copy on the addon's pool: `data` must not change until it resolves */
  uploadTensor(a: { data: Float32Array; shape: number[]; device?: string }): Promise<NativeTensor>;
  /**
   * this thread is exiting (everyThread: the process is): stop its tuner steps and head bounds at
   * their next check (the exit waits for calls on the pool), and any made after. Called from an
   * 'exit' listener, not by users.
   */
  exiting(everyThread: boolean): void;
}
