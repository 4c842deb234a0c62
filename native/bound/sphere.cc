#include "bound/sphere.h"

#include <ATen/CPUGeneratorImpl.h>

namespace dp::bound {

SphereResult solveSphere(const Objective& obj, const Feasible& S, const Tensor& cBall, int64_t randomStarts,
                         double gradTol, double tolNats, int64_t maxIterations, uint64_t seed) {
  const int64_t n = cBall.size(0), d = cBall.size(1), k = 2 * (2 + randomStarts);
  auto opts = cBall.options();
  // Starts, start-major: [k·n, d]. A start at the origin (a ball optimum at the centre, or
  // Wᵀp ⟂ the subspace) is replaced by a random direction; project() then puts every one on
  // the sphere.
  auto gen = at::detail::createCPUGenerator(seed);
  auto random = [&](int64_t rows) {
    return torch::randn({rows, d}, gen, torch::TensorOptions().dtype(torch::kFloat64)).to(opts);
  };
  std::vector<Tensor> starts{cBall, obj.a};
  for (auto& s : starts) {
    auto flat = (S.inSubspace(s).norm(2, -1, true) <= 1e-12 * S.radius);
    s = torch::where(flat, random(n), s);
  }
  for (int64_t i = 0; i < randomStarts; ++i) starts.push_back(random(n));
  // Each start with its antipode: near the ball's optimum f is about a convex quadratic, whose
  // minima on the sphere lie near ±(its flattest direction); a descent goes to the one on its own
  // side, so a start and its antipode reach both.
  for (int64_t i = 0, m = static_cast<int64_t>(starts.size()); i < m; ++i) starts.push_back(-starts[i]);
  auto x0 = torch::cat(starts, 0);
  auto all = torch::arange(n, opts.dtype(torch::kInt64)).repeat({k});
  auto res = spg(obj.rows(all), x0, S, gradTol, maxIterations);

  auto f = res.f.view({k, n});
  auto [best, which] = f.min(0);
  SphereResult r;
  r.nats = best.clamp_min(0.0);
  r.agreed = (f <= best.unsqueeze(0) + tolNats).sum(0);
  auto pick = which * n + torch::arange(n, which.options());
  r.residual = res.stationarity.index_select(0, pick);
  r.point = res.x.index_select(0, pick);
  return r;
}

}  // namespace dp::bound
