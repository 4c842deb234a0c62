// One config-driven decoder-only Transformer for GPT-2, Llama 3 / 3.2, Qwen2 / 2.5 and Falcon.
// What differs between families is data (ModelConfig + the name maps in families.cc);
// the graph differs only where the config says so (norm kind, RoPE vs learned positions,
// gated MLP, parallel vs sequential block).
#pragma once
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "model/config.h"
#include "model/kernel_choice.h"
#include "model/layers.h"
#include "model/load_cancel.h"
#include "model/weights.h"

namespace dp {

struct ModelTensors;

// The keys and values of positions [0, length) in every layer (after RoPE, before any grouped-
// query expansion, in the model dtype): what a forward of the later positions attends to.
struct KvCache {
  std::vector<torch::Tensor> k, v;  // per layer [rows, kvHeads, length, headDim]
  int64_t length() const { return k.empty() ? 0 : k[0].size(2); }
  // Each row `times` times in a row ([n] -> [n * times], row i at i*times .. i*times+times-1).
  KvCache repeatEach(int64_t times) const;
  // The same rows shared by `rows` (a cache of one row, made once, for a batch).
  KvCache expandTo(int64_t rows) const;
};

class Transformer {
 public:
  // From checkpoint tensors (Hugging Face names) or, with `seed`, seeded random weights.
  // `kernels` unset: KernelChoice::defaultsFor(device). `cancel` set: the build throws
  // LoadCancelled before its next tensor.
  Transformer(const ModelConfig& cfg, const WeightStore& store, torch::Device device, torch::ScalarType dtype,
              std::optional<KernelChoice> kernels = {}, LoadCancel cancel = nullptr);
  Transformer(const ModelConfig& cfg, uint64_t seed, torch::Device device, torch::ScalarType dtype,
              std::optional<KernelChoice> kernels = {}, LoadCancel cancel = nullptr);

  const ModelConfig& config() const { return cfg_; }
  torch::Device device() const { return device_; }
  torch::ScalarType dtype() const { return dtype_; }
  const KernelChoice& kernels() const { return kernels_; }

  // ids [rows, positions] int64 -> embeddings [rows, positions, hidden] in the model dtype.
  torch::Tensor embed(const torch::Tensor& ids) const;
  // The same without the range check, for ids the caller drew from the vocabulary itself (the
  // tuner's prompts and HotFlip candidates): the check reads the ids back from the device, a
  // synchronisation a fixed-shape epoch (and so a CUDA graph) may not make.
  torch::Tensor embedUnchecked(const torch::Tensor& ids) const;
  // embeds [rows, positions, hidden] (model dtype, on device), positionIds [rows, positions]
  // int64 or undefined for 0..positions-1. Returns the final-norm hidden state at the LAST
  // position only [rows, hidden]: the last block computes nothing for earlier positions
  // beyond their keys and values.
  torch::Tensor lastHidden(const torch::Tensor& embeds, const torch::Tensor& positionIds = {}) const;
  // The same for positions [past.length(), past.length() + P) of a sequence whose earlier
  // positions' keys and values are in `past` (its rows as embeds'): the result equals
  // lastHidden over the whole sequence, within float rounding, without recomputing (or
  // backpropagating through) the earlier positions. With `keep`, it receives past's keys and
  // values followed by these positions'.
  torch::Tensor lastHiddenAfter(const torch::Tensor& embeds, const KvCache& past, KvCache* keep = nullptr) const;
  // [rows, hidden] -> [rows, vocab] in the model dtype.
  torch::Tensor lmHead(const torch::Tensor& hidden) const { return torch::linear(hidden, head_); }
  const torch::Tensor& embeddingMatrix() const { return wte_; }  // [vocab, hidden]
  const torch::Tensor& positionMatrix() const { return wpe_; }   // [maxPositions, hidden]; undefined for rope
  const torch::Tensor& headMatrix() const { return head_; }      // [vocab, hidden]
  const Norm& finalNorm() const { return finalNorm_; }           // what the head bound constrains
  int64_t parameterCount() const;
  int64_t parameterBytes() const;

 private:
  void validate() const;
  void adopt(ModelTensors t, LoadCancel cancel);  // take the tensors, move them to device/dtype, precompute RoPE tables
  torch::Tensor forward(const torch::Tensor& embeds, const torch::Tensor& positionIds, const KvCache* past,
                        KvCache* keep) const;
  torch::Tensor attention(const Block& b, int64_t layer, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, bool lastOnly, const KvCache* past, KvCache* keep) const;
  torch::Tensor mlp(const Block& b, const torch::Tensor& x) const;
  torch::Tensor activation(const torch::Tensor& x) const;
  std::pair<torch::Tensor, torch::Tensor> ropeTables(const torch::Tensor& positionIds) const;

  ModelConfig cfg_;
  torch::Device device_;
  torch::ScalarType dtype_;
  KernelChoice kernels_;
  torch::Tensor wte_, wpe_, head_;
  torch::Tensor invFreq_;  // [headDim/2] float32
  std::vector<Block> blocks_;
  Norm finalNorm_;
};

}  // namespace dp
