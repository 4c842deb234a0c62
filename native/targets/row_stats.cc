#include "targets/row_stats.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dp::targets {

namespace {

std::vector<double> toVector(const std::vector<torch::Tensor>& parts) {
  auto all = torch::cat(parts).to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(all.data_ptr<double>(), all.data_ptr<double>() + all.numel());
}

// A float32 table on the host in one pass over its memory, where the reference below makes five
// (min/max, a float64 copy, two sums, xlogy): pieces of a row are summed on the intra-op threads
// in float64 and added in a fixed order, so the result does not depend on the thread count.
RowStats rowStatsHost(const torch::Tensor& t) {
  const int64_t rows = t.size(0), vocab = t.size(1);
  constexpr int64_t kPiece = int64_t{1} << 16;
  const int64_t pieces = (vocab + kPiece - 1) / kPiece;
  std::vector<double> sum(rows * pieces), xlogx(rows * pieces);
  std::vector<int64_t> bad(rows * pieces, -1);
  const float* data = t.data_ptr<float>();
  at::parallel_for(0, rows * pieces, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t row = i / pieces, from = (i % pieces) * kPiece, to = std::min(vocab, from + kPiece);
      const float* p = data + row * vocab;
      double s = 0, h = 0;
      for (int64_t v = from; v < to; ++v) {
        const double x = p[v];
        if (!(x >= 0 && x < std::numeric_limits<double>::infinity())) {
          bad[i] = row * vocab + v;
          break;
        }
        s += x;
        if (x > 0) h += x * std::log(x);
      }
      sum[i] = s;
      xlogx[i] = h;
    }
  });
  RowStats st;
  st.sums.resize(rows);
  st.entropyBits.resize(rows);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0, h = 0;
    bool rowBad = false;
    for (int64_t c = 0; c < pieces; ++c) {
      const int64_t i = r * pieces + c;
      if (bad[i] >= 0) {
        rowBad = true;
        if (st.firstBad < 0) st.firstBad = bad[i], st.firstBadValue = data[bad[i]];
      }
      s += sum[i];
      h += xlogx[i];
    }
    // A row with a bad value is given no sum or entropy: the rule reads none from it on.
    st.sums[r] = rowBad ? nan : s;
    st.entropyBits[r] = rowBad ? nan : -h / std::log(2.0);
  }
  return st;
}

}  // namespace

RowStats rowStats(const torch::Tensor& t) {
  if (t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous()) return rowStatsHost(t);
  return rowStatsReference(t);
}

RowStats rowStatsReference(const torch::Tensor& t) {
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
