// KL(target || softmax(logits)) per row, in nats, float32 maths whatever the logits' dtype.
#pragma once
#include <torch/torch.h>

#include <utility>

namespace dp::kernels {

// Plain, obviously correct version (log_softmax + sum); the fused kernels are tested against it.
torch::Tensor klReference(const torch::Tensor& logits, const torch::Tensor& target);

// Fused forward (+ autograd backward writing (softmax(z) - p) * g). logits [rows, V]
// float32/float64/bfloat16/float16, target [rows, V]. Returns [rows] (float64 for float64
// logits, float32 otherwise). No [rows, V] temporary is made in the forward; the backward
// writes the gradient straight into its output.
// `terms` (optional, klTargetTerms of target): the target's own sums, computed once for a
// target that many losses are taken against (the tuner's rows, every epoch), which spares the
// CPU forward a logarithm per element; the CUDA forward, bandwidth-bound, sums them itself.
torch::Tensor klFused(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& terms = {});

// Per target row (Σ p·log p, Σ p) over p > 0, float64 [rows, 2]: what klFused may be given.
torch::Tensor klTargetTerms(const torch::Tensor& target);

// KL of logits [rows · k, V] against target [rows, V], logits row r against target row r / k,
// without copying a target per candidate: the loss only (no autograd), for the tuner's k > 1
// HotFlip candidates. `shared` false copies the targets and calls klFused (the verified path on
// devices whose grouped kernel has not been checked yet).
torch::Tensor klCandidates(const torch::Tensor& logits, const torch::Tensor& target, bool shared = true,
                           const torch::Tensor& terms = {});

// The two passes, per device. group > 1 (forward only): target row r / group for logits row r. Forward returns (loss
// [rows], stats [rows, 2] = (max, log Σ exp(z − max))). Which CPU build of the fused KL runs here: "avx2" or
// "baseline".
const char* klCpuVariant();
std::pair<torch::Tensor, torch::Tensor> klForwardCpu(const torch::Tensor& logits, const torch::Tensor& target,
                                                     int64_t group = 1, const torch::Tensor& terms = {});
torch::Tensor klBackwardCpu(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& lse,
                            const torch::Tensor& gradLoss);
#ifdef DP_WITH_CUDA
std::pair<torch::Tensor, torch::Tensor> klForwardCuda(const torch::Tensor& logits, const torch::Tensor& target,
                                                      int64_t group = 1);
torch::Tensor klBackwardCuda(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& lse,
                             const torch::Tensor& gradLoss);
#endif

}  // namespace dp::kernels
