#include "bound/sphere.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace dp::bound {

SpgResult sphereLbfgs(const Objective& obj, const Tensor& x0, const Feasible& S, double tol, int64_t maxIterations) {
  constexpr int64_t kMemory = 10, kBacktracks = 40;
  Objective o = obj;
  auto x = S.project(x0);
  auto [f, q] = o.value(x);
  auto g = S.alongSet(x, o.gradient(q));  // the Riemannian gradient: all the search reads
  auto out = unfilled(x0);
  auto idx = torch::arange(x0.size(0), x0.options().dtype(torch::kInt64));
  // Its pairs are kept in the tangent space of the current point.
  LbfgsMemory mem(kMemory, g);
  const double r2 = S.radius * S.radius;
  // The projection onto the tangent space at y [n, d] of vectors [n, m, d] (the pairs' transport).
  auto transport = [&](const Tensor& v, const Tensor& y) {
    auto yv = y.unsqueeze(1);
    return v - yv * ((v * yv).sum(-1, true) / r2);
  };
  // fresh: the memory holds no pair (the step is the scaled gradient's); stuck: no decrease from it.
  auto fresh = torch::ones_like(f, f.options().dtype(torch::kBool)), stuck = torch::zeros_like(fresh);
  for (int64_t it = 0;; ++it) {
    auto station = g.norm(2, -1);
    auto done = (station <= tol) | ~torch::isfinite(f) | stuck;
    if (it == maxIterations) done = torch::ones_like(done);
    if (done.any().item<bool>()) {
      retire(out, idx, done.nonzero().squeeze(1), x, f, station, it);
      auto rest = (~done).nonzero().squeeze(1);
      if (rest.numel() == 0) break;
      idx = idx.index_select(0, rest);
      o = o.rows(rest);
      for (auto* t : {&x, &f, &g, &fresh, &stuck}) *t = t->index_select(0, rest);
      mem.keep(rest);
    }
    o.iteration(x.size(0), it);
    auto dir = -S.alongSet(x, mem.apply(g));
    // Not a descent direction (rounding, or curvature the pairs got wrong): the scaled gradient.
    auto uphill = ((g * dir).sum(-1) >= 0).unsqueeze(1);
    dir = torch::where(uphill, -g * mem.gamma.unsqueeze(1), dir);
    // At most one radius long (about a radian), as SPG's tangent step.
    dir = dir * torch::clamp(S.radius / dir.norm(2, -1, true).clamp_min(1e-300), c10::nullopt, 1.0);
    auto slope = (g * dir).sum(-1);
    auto along = [&](const Tensor& rows, const Tensor& t) {
      return S.reach(x.index_select(0, rows), dir.index_select(0, rows), t);
    };
    // Monotone Armijo: a quasi-Newton step is scaled to be accepted whole near a minimum.
    auto tr = backtrack(o, along, f, slope, kBacktracks);
    // A row that found no decrease keeps its point and starts its memory afresh (its next step is
    // the scaled gradient's); one that finds none from there either is stuck at this precision
    // and leaves as it is, its residual saying how close it came. So f never increases.
    auto ok = tr.ok;
    auto keepOld = ~ok;
    stuck = keepOld & fresh;
    auto xt = torch::where(keepOld.unsqueeze(1), x, tr.x);
    auto gt = S.alongSet(tr.x, o.gradient(tr.q));
    gt = torch::where(keepOld.unsqueeze(1), g, gt);
    auto s = S.alongSet(xt, xt - x);
    auto y = gt - S.alongSet(xt, g);
    auto sy = (s * y).sum(-1), yy = (y * y).sum(-1);
    auto good = ok & (sy > 1e-12 * s.norm(2, -1) * y.norm(2, -1));
    mem.S = transport(mem.S, xt);
    mem.Y = transport(mem.Y, xt);
    mem.rho.masked_fill_(keepOld.unsqueeze(1), 0.0);  // good is false there: nothing is pushed
    mem.push(s, y, sy, yy, good);
    fresh = keepOld | (fresh & ~good);
    x = xt;
    f = torch::where(keepOld, f, tr.f);
    g = gt;
  }
  return out;
}

bool sphereSearchIsSpg() {
  const char* v = std::getenv("DISTPROMPT_SPHERE_SEARCH");
  if (!v || !*v || std::string(v) == "lbfgs") return false;
  if (std::string(v) == "spg") return true;
  throw std::invalid_argument(std::string("DISTPROMPT_SPHERE_SEARCH is '") + v +
                              "'; expected 'lbfgs' (the default) or 'spg', or leave it unset");
}

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
  const bool plain = sphereSearchIsSpg();
  auto search = [&](const Objective& o, const Tensor& from, double tol) {
    return plain ? spg(o, from, S, tol, maxIterations) : sphereLbfgs(o, from, S, tol, maxIterations);
  };
  SpgResult res;
  {
    Trace::Scope part(obj.trace, "sphere screen");
    res = search(obj.rows(all), x0, std::max(gradTol, kScreen * gradTol));
  }
  auto f = res.f.view({k, n});
  auto which = std::get<1>(f.min(0));
  auto pick = which * n + torch::arange(n, which.options());
  // A polished start is never above its screened value (SPG keeps the start as its reference).
  Trace::Scope part(obj.trace, "sphere polish");
  auto fine = search(obj, res.x.index_select(0, pick), gradTol);
  SphereResult r;
  r.nats = fine.f.clamp_min(0.0);
  auto polished = torch::arange(k, which.options()).unsqueeze(1) == which.unsqueeze(0);
  r.agreed = ((f <= fine.f.unsqueeze(0) + tolNats) | polished).sum(0);
  r.residual = fine.stationarity;
  r.point = fine.x;
  return r;
}

}  // namespace dp::bound
