// Targets as every native call takes them (the model's loss, the tuner, the head bound): a
// handle on a tensor already on the device, used as it is, or a Float32Array rows×vocab, copied.
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace dp {

// rows < 0: as many rows as the value holds (an array must hold whole rows of `vocab`).
// Throws a RangeError/TypeError naming `name` on a bad shape or type.
torch::Tensor targetsFrom(const Napi::Value& v, int64_t vocab, int64_t rows, const char* name);

}  // namespace dp
