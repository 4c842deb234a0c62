// What the distribution rule (lib/tune/targets-input.ts) reads of a rows×vocab table of targets,
// worked out on the table's device: a table uploaded to a GPU is checked without being copied
// back, only per-row numbers and one value come to the host.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace dp::targets {

struct RowStats {
  int64_t firstBad = -1;  // row-major index of the first value not finite or negative; -1: none
  double firstBadValue = 0;
  std::vector<double> sums;         // each row's sum, accumulated in float64
  std::vector<double> entropyBits;  // each row's −Σ p log2 p over p > 0
};

// t: [rows, vocab], any floating dtype, any device. A contiguous float32 table on the host is read
// in one threaded pass; every other table by rowStatsReference's torch operations, on its device.
RowStats rowStats(const torch::Tensor& t);
RowStats rowStatsReference(const torch::Tensor& t);

}  // namespace dp::targets
