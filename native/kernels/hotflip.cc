#include "kernels/hotflip.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>

namespace dp::kernels {

namespace {

// scores[r, x] = E[x]·g_r − θ_r·g_r. The GEMM runs in the embeddings' dtype (no float32 copy
// of a 128k × 4096 matrix per call); the result and the subtraction are float32.
torch::Tensor scoresOf(const torch::Tensor& grad, const torch::Tensor& current, const torch::Tensor& E,
                       const torch::Tensor& banned) {
  auto g = grad.to(E.scalar_type());
  auto s = torch::matmul(g, E.t()).to(torch::kFloat32);
  auto base = (current.to(torch::kFloat32) * grad.to(torch::kFloat32)).sum(-1, true);
  s = s - base;
  // NaN scores (a broken gradient) rank last, like banned tokens.
  s = torch::nan_to_num(s, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity());
  if (banned.defined()) s = s.masked_fill(banned.to(s.device()).view({1, -1}), std::numeric_limits<float>::infinity());
  return s;
}

void check(const torch::Tensor& grad, const torch::Tensor& current, const torch::Tensor& E, int64_t k,
           const torch::Tensor& banned, int64_t allowed = -1) {
  TORCH_CHECK(grad.dim() == 2 && current.sizes() == grad.sizes(),
              "hotflip: grad and current must both be [rows, hidden]");
  TORCH_CHECK(E.dim() == 2 && E.size(1) == grad.size(1), "hotflip: embeddings must be [vocab, hidden=", grad.size(1),
              "]");
  // Not given: counted here, a read of the mask (a device sync; the tuner counts it once).
  if (allowed < 0) allowed = E.size(0) - (banned.defined() ? banned.sum().item<int64_t>() : 0);
  TORCH_CHECK(k >= 1 && k <= std::min<int64_t>(512, allowed), "hotflip: k = ", k, " must be in 1..",
              std::min<int64_t>(512, allowed), " (512, or the number of tokens not banned)");
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> hotflipTopK(const torch::Tensor& grad, const torch::Tensor& current,
                                                    const torch::Tensor& E, int64_t k, const torch::Tensor& banned,
                                                    int64_t allowed) {
  check(grad, current, E, k, banned, allowed);
  auto s = scoresOf(grad, current, E, banned).contiguous();
  const int64_t R = s.size(0), V = s.size(1);
  if (!s.is_cpu()) {
    // GPU: at::topk is a per-row radix selection (no full sort). Its order among equal scores is
    // unspecified, so the k winners are put in (score, id) order: ids ascending, then a stable
    // sort on score.
    auto [vals, ids] = s.topk(k, -1, /*largest=*/false, /*sorted=*/false);
    auto byId = std::get<1>(torch::sort(ids, -1));
    ids = ids.gather(1, byId);
    vals = vals.gather(1, byId);
    auto [sortedVals, order] = torch::sort(vals, /*stable=*/true, -1, false);
    return {ids.gather(1, order), sortedVals};
  }
  auto ids = torch::empty({R, k}, torch::kInt64);
  auto vals = torch::empty({R, k}, torch::kFloat32);
  const float* sp = s.data_ptr<float>();
  int64_t* ip = ids.data_ptr<int64_t>();
  float* vp = vals.data_ptr<float>();
  at::parallel_for(0, R, 1, [&](int64_t r0, int64_t r1) {
    // One pass per row keeping the k best (score, id) pairs in a max-heap whose top is the worst
    // kept: a token enters only by beating it, which after the first few hundred tokens is rare,
    // so the pass is a compare per token (no index array, no indirect comparisons). Ids come in
    // ascending order, so a later token with the top's score has the larger id and stays out:
    // ties go to the lower id, as in the reference's stable sort.
    using Pair = std::pair<float, int32_t>;
    std::vector<Pair> heap(k);
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = sp + r * V;
      for (int64_t v = 0; v < k; ++v) heap[v] = {row[v], static_cast<int32_t>(v)};
      std::make_heap(heap.begin(), heap.end());  // pair order: score, then id
      for (int64_t v = k; v < V; ++v) {
        if (!(row[v] < heap.front().first)) continue;
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = {row[v], static_cast<int32_t>(v)};
        std::push_heap(heap.begin(), heap.end());
      }
      std::sort_heap(heap.begin(), heap.end());
      for (int64_t j = 0; j < k; ++j) {
        ip[r * k + j] = heap[j].second;
        vp[r * k + j] = heap[j].first;
      }
    }
  });
  return {ids, vals};
}

std::pair<torch::Tensor, torch::Tensor> hotflipReference(const torch::Tensor& grad, const torch::Tensor& current,
                                                         const torch::Tensor& E, int64_t k,
                                                         const torch::Tensor& banned) {
  check(grad, current, E, k, banned);
  auto s = scoresOf(grad, current, E, banned);
  // Stable full sort: equal scores keep the lower id first.
  auto [vals, ids] = torch::sort(s, /*stable=*/true, -1, false);
  return {ids.narrow(1, 0, k).contiguous(), vals.narrow(1, 0, k).contiguous()};
}

}  // namespace dp::kernels
