// Spectral projected gradient over a batch of rows (solver.h has the sets and the objective).
#include "bound/solver.h"

namespace dp::bound {

Trial backtrack(const Objective& o, const std::function<Tensor(const Tensor&, const Tensor&)>& reach,
                const Tensor& reference, const Tensor& slope, int64_t halvings) {
  constexpr double kArmijo = 1e-4;
  Trial r;
  r.t = torch::ones_like(reference);
  r.x = reach(torch::arange(reference.size(0), reference.options().dtype(torch::kInt64)), r.t);
  std::tie(r.f, r.q) = o.value(r.x);
  r.ok = r.f <= reference + kArmijo * r.t * slope;
  for (int64_t i = 0; i < halvings; ++i) {
    auto bad = (~r.ok).nonzero().squeeze(1);
    if (bad.numel() == 0) break;
    if (o.trace) o.trace->now().backtrackRows += bad.numel();
    r.t.index_copy_(0, bad, r.t.index_select(0, bad) * 0.5);
    auto tb = r.t.index_select(0, bad);
    auto xb = reach(bad, tb);
    auto [fb, qb] = o.rows(bad).value(xb);
    r.x.index_copy_(0, bad, xb);
    r.f.index_copy_(0, bad, fb);
    r.q.index_copy_(0, bad, qb);
    r.ok.index_copy_(0, bad, fb <= reference.index_select(0, bad) + kArmijo * tb * slope.index_select(0, bad));
  }
  return r;
}

SpgResult spg(const Objective& obj, const Tensor& x0, const Feasible& S, double tol, int64_t maxIterations) {
  constexpr int64_t kMemory = 10, kBacktracks = 40;
  constexpr double kAlphaMin = 1e-12, kAlphaMax = 1e12;
  const int64_t n = x0.size(0);
  auto opts = x0.options();
  auto out = unfilled(x0);

  auto idx = torch::arange(n, opts.dtype(torch::kInt64));
  Objective o = obj;
  auto x = S.project(x0);
  Tensor f, g;
  {
    auto [f0, q0] = o.value(x);
    f = f0;
    g = o.gradient(q0);
  }
  auto history = f.unsqueeze(1).repeat({1, kMemory});
  // First step: one unit along the gradient.
  auto alpha = (1.0 / S.alongSet(x, g).norm(2, -1).clamp_min(1e-12)).clamp(kAlphaMin, kAlphaMax);

  auto finish = [&](const Tensor& rows, const Tensor& station, int64_t it) {
    retire(out, idx, rows, x, f, station, it);
  };
  auto keep = [&](const Tensor& rows) {
    idx = idx.index_select(0, rows);
    o = o.rows(rows);
    x = x.index_select(0, rows);
    f = f.index_select(0, rows);
    g = g.index_select(0, rows);
    history = history.index_select(0, rows);
    alpha = alpha.index_select(0, rows);
  };

  for (int64_t it = 0;; ++it) {
    auto station = S.stationarity(x, g);
    // A row whose objective is not finite cannot improve: report it as it is (the caller's
    // targets are validated, so this is a guard, not a path users take).
    auto done = (station <= tol) | ~torch::isfinite(f);
    if (it == maxIterations) done = torch::ones_like(done);
    if (done.any().item<bool>()) {
      finish(done.nonzero().squeeze(1), station, it);
      auto rest = (~done).nonzero().squeeze(1);
      if (rest.numel() == 0) break;
      keep(rest);
    }
    o.iteration(x.size(0), it);
    auto step = S.step(x, g, alpha.unsqueeze(1));
    auto slope = (g * step).sum(-1);  // ≤ 0: a descent direction
    auto reference = std::get<0>(history.max(1));
    auto along = [&](const Tensor& rows, const Tensor& t) {
      return S.reach(x.index_select(0, rows), step.index_select(0, rows), t);
    };
    auto tr = backtrack(o, along, reference, slope, kBacktracks);
    auto trial = tr.x, ft = tr.f, qt = tr.q;
    // Rows still not accepted take the shortest step tried: the search direction is exhausted
    // at this precision, and the next iteration's certificate says how close they are.
    auto gt = o.gradient(qt);
    auto s = trial - x;
    auto y = S.sphere ? S.alongSet(trial, gt) - S.alongSet(x, g) : gt - g;
    auto sy = (s * y).sum(-1), ss = (s * s).sum(-1);
    alpha =
        torch::where(sy > 0, ss / sy.clamp_min(1e-300), torch::full_like(sy, kAlphaMax)).clamp(kAlphaMin, kAlphaMax);
    x = trial;
    f = ft;
    g = gt;
    history.select(1, (it + 1) % kMemory).copy_(f);
  }
  return out;
}

}  // namespace dp::bound
