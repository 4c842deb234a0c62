// The Transformer's parameter groups: a linear, a norm, and one block's weights.
#pragma once
#include <torch/torch.h>

namespace dp {

struct Linear {
  torch::Tensor w;  // [out, in]
  torch::Tensor b;  // [out] or undefined
  torch::Tensor operator()(const torch::Tensor& x) const { return torch::linear(x, w, b); }
};

struct Norm {
  torch::Tensor w, b;
  bool rms = false;
  bool fused = false;  // rms: libtorch's rms_norm instead of transformers' sequence (KernelChoice)
  double eps = 1e-5;
  torch::Tensor operator()(const torch::Tensor& x) const;
};

struct Block {
  Norm attnNorm, mlpNorm;  // mlpNorm unused by a parallel block with one shared norm
  Linear qkv, out;         // qkv fused: rows [q (heads*hd) | k (kv*hd) | v (kv*hd)]
  Linear up, down;         // up = [gate; up] fused when the MLP is gated
};

}  // namespace dp
