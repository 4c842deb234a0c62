// Native exports of the kernels area (native/addon/kernel_ops.cc, native/kernels/).
export interface KernelAddon {
  klDivergence(a: {
    logits: Float32Array;
    target: Float32Array;
    rows: number;
    vocab: number;
    dtype?: 'float32' | 'float64' | 'bfloat16' | 'float16';
    device?: string;
    /** run the unfused reference instead (tests, benchmarks) */
    reference?: boolean;
    /** give the fused forward the target's own sums (Σ p·log p, Σ p), as the tuner does (tests) */
    targetTerms?: boolean;
  }): Promise<{ klNats: Float32Array; gradLogits: Float32Array }>;
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
  hotflipTopK(a: {
    grad: Float32Array;
    current: Float32Array;
    embeddings: Float32Array;
    rows: number;
    hidden: number;
    vocab: number;
    k: number;
    banned?: Int32Array;
    device?: string;
    reference?: boolean;
  }): Promise<{ ids: Int32Array; scores: Float32Array }>;
}
