// Where a model's tensors come from: each family's checkpoint names and the surgery that turns
// them into the Transformer's layout (fused qkv with rows q | k | v, fused [gate; up], every
// projection a plain [out, in] linear), or seeded random weights of the family's shapes.
// transformer.cc runs the forward pass over whatever these return.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "model/config.h"
#include "model/layers.h"
#include "model/load_cancel.h"
#include "model/weights.h"

namespace dp {

// Every tensor of one model, as read (checkpoint dtype, on the CPU) or drawn.
struct ModelTensors {
  torch::Tensor wte, wpe, head;  // wpe only for learned positions; head may be wte (tied)
  std::vector<Block> blocks;
  Norm finalNorm;
};

// From checkpoint tensors (Hugging Face names) of cfg.family; unknown families are an error.
ModelTensors loadFamily(const ModelConfig& cfg, const WeightStore& store, LoadCancel cancel = nullptr);
// Seeded random weights with the family's shapes, drawn on the CPU from a private generator and
// made on `device` in `dtype`: the same seed gives the same weights on every device.
ModelTensors randomTensors(const ModelConfig& cfg, uint64_t seed, torch::Device device, torch::ScalarType dtype,
                           LoadCancel cancel = nullptr);

}  // namespace dp
