// HotFlip top-k (Wallace et al. 2019): for each row, the k vocabulary tokens x with the lowest
// linearised change in loss (E[x] − θ)·g, where g is the loss gradient at a prompt position and
// θ the embedding there now.
#pragma once
#include <torch/torch.h>

#include <utility>

namespace dp::kernels {

// grad [R, d], current [R, d], embeddings [V, d] (any float dtype), banned [V] bool or
// undefined. Returns (ids [R, k] int64, scores [R, k] float32), ascending by score; ties go to
// the lower token id; banned tokens never appear. One GEMM, then a per-row partial selection
// (never a sort of the whole vocabulary). `allowed`: the number of tokens not banned when the
// caller has counted it once (the tuner), so that checking k reads nothing back from the device
// (no synchronisation: a CUDA graph may capture the call); negative: counted here.
std::pair<torch::Tensor, torch::Tensor> hotflipTopK(const torch::Tensor& grad, const torch::Tensor& current,
                                                    const torch::Tensor& embeddings, int64_t k,
                                                    const torch::Tensor& banned, int64_t allowed = -1);

// Brute force for tests: scores for every token, full sort.
std::pair<torch::Tensor, torch::Tensor> hotflipReference(const torch::Tensor& grad, const torch::Tensor& current,
                                                         const torch::Tensor& embeddings, int64_t k,
                                                         const torch::Tensor& banned);

}  // namespace dp::kernels
