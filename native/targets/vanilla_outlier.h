// The study's vanilla targets (Eq. 1, or exactly by temperature) and outlier targets (Eq. 3):
// batched synthesis of distributions with a given entropy, k outlier tokens holding a given mass.
// Every row's random logits come from its own seed, so a target is the same made alone or among
// hundreds; all rows are solved at once on the device.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace dp::targets {

struct EntropyResult {
  torch::Tensor probs;        // [n, V] float32
  torch::Tensor entropyNats;  // [n] achieved
  torch::Tensor iterations;   // [n] int64
  torch::Tensor converged;    // [n] bool
  torch::Tensor outlierMass;  // [n] (outlier targets; zeros otherwise)
};

// Seeded N(0, 1) logits [n, V], one CPU generator per row, moved to `device`.
torch::Tensor seededLogits(const std::vector<uint64_t>& seeds, int64_t vocab, torch::Device device);

// Both solvers step only the rows still running (subBatch); subBatch = false steps every row until
// the last has finished, the plain reference whose targets they must equal.

// Exact: per row, bisection on log-temperature of softmax(z / T) until |H − h| < tol.
EntropyResult byTemperature(const torch::Tensor& logits, const torch::Tensor& entropyNats, double tolNats,
                            int64_t maxIter, bool subBatch = true);

// The study's Eq. 1 (and Eq. 3 with outliers): gradient descent on the logits of
// α (H − h)² − β Σ_{v∈Vo} p(v) until |H − h| < eps and, with outliers, their mass ≥ minMass.
// outliers: [n, k] int64 token ids or undefined; minMass: [n].
EntropyResult byGradient(const torch::Tensor& logits, const torch::Tensor& entropyNats, double epsNats, int64_t maxIter,
                         const torch::Tensor& outliers, const torch::Tensor& minMass, double alpha, double beta,
                         bool subBatch = true);

}  // namespace dp::targets
