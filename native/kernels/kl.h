// KL(target || softmax(logits)) per row, in nats, float32 maths whatever the logits' dtype.
#pragma once
#include <torch/torch.h>

namespace dp::kernels {

// Plain, obviously correct version (log_softmax + sum); the fused kernels are tested against it.
torch::Tensor klReference(const torch::Tensor& logits, const torch::Tensor& target);

// Fused forward (+ autograd backward writing (softmax(z) - p) * g). logits [rows, V]
// float32/bfloat16/float16, target [rows, V] float32. Returns [rows] float32.
torch::Tensor klFused(const torch::Tensor& logits, const torch::Tensor& target);

}  // namespace dp::kernels
