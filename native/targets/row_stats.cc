#include "targets/row_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dp::targets {

namespace {

std::vector<double> toVector(const std::vector<torch::Tensor>& parts) {
  auto all = torch::cat(parts).to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(all.data_ptr<double>(), all.data_ptr<double>() + all.numel());
}

}  // namespace

RowStats rowStats(const torch::Tensor& t) {
  torch::NoGradGuard noGrad;
  const int64_t rows = t.size(0), vocab = t.size(1);
  // Row blocks of ~16M values: the float64 copy of a block is 128 MB, whatever the table's size.
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(1, vocab));
  RowStats s;
  std::vector<torch::Tensor> sums, entropy;
  for (int64_t a = 0; a < rows; a += block) {
    auto part = t.slice(0, a, std::min(rows, a + block));
    // min and max in one pass (NaN comes out of either): a bad value is looked for only then.
    if (s.firstBad < 0) {
      auto [lo, hi] = torch::aminmax(part);
      if (!(lo.item<double>() >= 0 && hi.item<double>() < std::numeric_limits<double>::infinity())) {
        auto bad = part.isfinite().logical_not().logical_or(part < 0).reshape({-1});
        const int64_t i = bad.to(torch::kUInt8).argmax().item<int64_t>();  // the first, as ties go
        s.firstBad = a * vocab + i;
        s.firstBadValue = part.reshape({-1})[i].item<double>();
      }
    }
    auto p = part.to(torch::kDouble);
    sums.push_back(p.sum(1));
    entropy.push_back(torch::special_xlogy(p, p).sum(1) / -std::log(2.0));  // xlogy(0, 0) = 0
  }
  if (rows == 0) return s;
  s.sums = toVector(sums);
  s.entropyBits = toVector(entropy);
  return s;
}

}  // namespace dp::targets
