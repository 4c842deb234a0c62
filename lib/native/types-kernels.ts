// Native exports of the kernels area (native/addon/kernel_ops.cc, native/kernels/); the kernels'
// public inputs (lib/kernels.ts) are what the addon takes, less its test switches.
export interface KlInput {
  /** rows×vocab logits */
  logits: Float32Array;
  /** rows×vocab target distributions */
  target: Float32Array;
  rows: number;
  vocab: number;
  /** dtype the logits are computed in (the loss is float32 maths, float64 for float64) */
  dtype?: 'float32' | 'float64' | 'bfloat16' | 'float16';
  device?: string;
}

export interface HotflipInput {
  /** rows×hidden loss gradient at one prompt position */
  grad: Float32Array;
  /** rows×hidden embedding there now */
  current: Float32Array;
  /** vocab×hidden embedding matrix */
  embeddings: Float32Array;
  rows: number;
  hidden: number;
  vocab: number;
  /** candidates per row, 1..512 */
  k: number;
  /** token ids never to return */
  banned?: Int32Array;
  device?: string;
}

export interface KernelAddon {
  klDivergence(
    a: KlInput & {
      /** run the unfused reference instead (tests, benchmarks) */
      reference?: boolean;
      /** give the fused forward the target's own sums (Σ p·log p, Σ p), as the tuner does (tests) */
      targetTerms?: boolean;
    },
  ): Promise<{ klNats: Float32Array; gradLogits: Float32Array }>;
  /** logits [rows·candidates, vocab] against target [rows, vocab] (row r against r / candidates); shared false copies the targets */
  klCandidates(a: {
    logits: Float32Array;
    target: Float32Array;
    rows: number;
    vocab: number;
    candidates: number;
    dtype?: 'float32' | 'float64' | 'bfloat16' | 'float16';
    device?: string;
    shared?: boolean;
    targetTerms?: boolean;
  }): Promise<Float32Array>;
  hotflipTopK(a: HotflipInput & { reference?: boolean }): Promise<{ ids: Int32Array; scores: Float32Array }>;
}
