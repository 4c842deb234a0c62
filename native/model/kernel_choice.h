// Where two implementations of one computation exist, which one a model uses. Each alternative
// is tested against the plain one on the CPU; on CUDA an alternative stays off until the GPU
// tests (test/cuda.test.ts, bench/gpu/cuda-parity.mjs) have passed with it, so a default never
// rests on a kernel no GPU has run. The defaults are stated here once; loadModel's `kernels`
// option overrides them per model.
#pragma once
#include <torch/torch.h>

namespace dp {

struct KernelChoice {
  // k > 1 HotFlip candidates: each candidate's KL reads its row's target in place instead of a
  // copy of the target per candidate (kernels::klCandidates).
  bool sharedTargets = true;
  // Grouped-query attention: SDPA's own grouped path (enable_gqa) instead of expanding keys and
  // values to every query head.
  bool groupedAttention = true;
  // RMSNorm by libtorch's rms_norm (one fused kernel and backward on CUDA) instead of the
  // transformers-exact float32 sequence (normalise, cast back, then scale).
  bool fusedRmsNorm = false;

  static KernelChoice defaultsFor(torch::Device device) {
    KernelChoice k;
    if (device.is_cuda()) k.sharedTargets = k.groupedAttention = false;  // not yet run on a GPU
    return k;
  }
};

}  // namespace dp
