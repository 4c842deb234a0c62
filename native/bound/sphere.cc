#include "bound/sphere.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

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
  // Screening: every start to a loose residual, where most of a descent's value is already made
  // (the iterations from there to gradTol are its costly tail); then only each row's best start is
  // polished to gradTol. `agreed` counts the starts whose screened point is already within tolNats
  // of the polished value (a real point's value, so never an overcount).
  constexpr double kScreen = 100;
  SpgResult res;
  {
    Trace::Scope part(obj.trace, "sphere screen");
    res = spg(obj.rows(all), x0, S, std::max(gradTol, kScreen * gradTol), maxIterations);
  }
  auto f = res.f.view({k, n});
  auto which = std::get<1>(f.min(0));
  auto pick = which * n + torch::arange(n, which.options());
  // A polished start is never above its screened value (SPG keeps the start as its reference).
  Trace::Scope part(obj.trace, "sphere polish");
  auto fine = spg(obj, res.x.index_select(0, pick), S, gradTol, maxIterations);
  SphereResult r;
  r.nats = fine.f.clamp_min(0.0);
  auto polished = torch::arange(k, which.options()).unsqueeze(1) == which.unsqueeze(0);
  r.agreed = ((f <= fine.f.unsqueeze(0) + tolNats) | polished).sum(0);
  r.residual = fine.stationarity;
  r.point = fine.x;
  return r;
}

}  // namespace dp::bound
