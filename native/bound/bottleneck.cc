#include "bound/bottleneck.h"

namespace dp::bound {

LbfgsResult lbfgs(const Objective& obj, const Tensor& x0, double gradTol, double floor, int64_t maxIterations) {
  constexpr int64_t kMemory = 10, kBacktracks = 60;
  constexpr double kArmijo = 1e-4;
  const int64_t n = x0.size(0), d = x0.size(1);
  auto opts = x0.options();
  LbfgsResult out{torch::empty_like(x0), torch::empty({n}, opts), torch::empty({n}, opts),
                  torch::zeros({n}, opts.dtype(torch::kInt64))};
  auto idx = torch::arange(n, opts.dtype(torch::kInt64));
  Objective o = obj;
  auto x = x0.clone();
  auto [f, q] = o.value(x);
  auto g = o.gradient(q);
  // The pairs (s, y) of the last kMemory steps, oldest first; rho = 1/(s·y), 0 for an empty slot
  // (an empty slot then contributes nothing to the two-loop recursion).
  auto S = torch::zeros({n, kMemory, d}, opts), Y = torch::zeros({n, kMemory, d}, opts);
  auto rho = torch::zeros({n, kMemory}, opts);
  auto gamma = 1.0 / g.norm(2, -1).clamp_min(1e-12);  // the first step is one unit long

  auto finish = [&](const Tensor& rows, const Tensor& gn, int64_t it) {
    auto where = idx.index_select(0, rows);
    out.x.index_copy_(0, where, x.index_select(0, rows));
    out.f.index_copy_(0, where, f.index_select(0, rows));
    out.gradNorm.index_copy_(0, where, gn.index_select(0, rows));
    out.iterations.index_fill_(0, where, it);
  };
  for (int64_t it = 0;; ++it) {
    auto gn = g.norm(2, -1);
    auto done = (gn <= gradTol) | (f <= floor) | ~torch::isfinite(f);
    if (it == maxIterations) done = torch::ones_like(done);
    if (done.any().item<bool>()) {
      finish(done.nonzero().squeeze(1), gn, it);
      auto rest = (~done).nonzero().squeeze(1);
      if (rest.numel() == 0) break;
      idx = idx.index_select(0, rest);
      o = o.rows(rest);
      for (auto* t : {&x, &f, &g, &S, &Y, &rho, &gamma}) *t = t->index_select(0, rest);
    }
    // Two-loop recursion: r ≈ H⁻¹ g.
    auto r = g.clone();
    std::vector<Tensor> al(kMemory);
    for (int64_t i = kMemory - 1; i >= 0; --i) {
      al[i] = rho.select(1, i) * (S.select(1, i) * r).sum(-1);
      r -= al[i].unsqueeze(1) * Y.select(1, i);
    }
    r *= gamma.unsqueeze(1);
    for (int64_t i = 0; i < kMemory; ++i) {
      auto be = rho.select(1, i) * (Y.select(1, i) * r).sum(-1);
      r += (al[i] - be).unsqueeze(1) * S.select(1, i);
    }
    auto dir = -r;
    auto slope = (g * dir).sum(-1);
    // Not a descent direction (rounding): fall back to the scaled gradient.
    auto uphill = (slope >= 0).unsqueeze(1);
    dir = torch::where(uphill, -g * gamma.unsqueeze(1), dir);
    slope = (g * dir).sum(-1);
    auto t = torch::ones_like(f);
    auto trial = x + dir;
    auto [ft, qt] = o.value(trial);
    auto ok = ft <= f + kArmijo * t * slope;
    for (int64_t bt = 0; bt < kBacktracks; ++bt) {
      auto bad = (~ok).nonzero().squeeze(1);
      if (bad.numel() == 0) break;
      t.index_copy_(0, bad, t.index_select(0, bad) * 0.5);
      auto tb = t.index_select(0, bad);
      auto xb = x.index_select(0, bad) + tb.unsqueeze(1) * dir.index_select(0, bad);
      auto [fb, qb] = o.rows(bad).value(xb);
      trial.index_copy_(0, bad, xb);
      ft.index_copy_(0, bad, fb);
      qt.index_copy_(0, bad, qb);
      ok.index_copy_(0, bad, fb <= f.index_select(0, bad) + kArmijo * tb * slope.index_select(0, bad));
    }
    // A row that found no decrease keeps its point (its gradient norm then says how far it is).
    auto keepOld = ~ok;
    trial = torch::where(keepOld.unsqueeze(1), x, trial);
    ft = torch::where(keepOld, f, ft);
    auto gt = o.gradient(qt);
    gt = torch::where(keepOld.unsqueeze(1), g, gt);
    auto s = trial - x, y = gt - g;
    auto sy = (s * y).sum(-1), yy = (y * y).sum(-1);
    auto good = sy > 1e-300;
    // Push the pair where it carries curvature; the others keep their history.
    auto S2 = torch::cat({S.slice(1, 1), s.unsqueeze(1)}, 1), Y2 = torch::cat({Y.slice(1, 1), y.unsqueeze(1)}, 1);
    auto rho2 = torch::cat({rho.slice(1, 1), (1.0 / sy.clamp_min(1e-300)).unsqueeze(1)}, 1);
    auto g3 = good.view({-1, 1, 1});
    S = torch::where(g3, S2, S);
    Y = torch::where(g3, Y2, Y);
    rho = torch::where(good.unsqueeze(1), rho2, rho);
    gamma = torch::where(good, sy / yy.clamp_min(1e-300), gamma);
    // No decrease and no curvature: the row is stuck at this precision; it leaves at the cap
    // with its gradient norm saying so (it is not a stationary point unless gn ≤ gradTol).
    x = trial;
    f = ft;
    g = gt;
    if ((keepOld & ~good).all().item<bool>()) {
      finish(torch::arange(x.size(0), idx.options()), g.norm(2, -1), it + 1);
      break;
    }
  }
  return out;
}

BottleneckResult solveBottleneck(const Tensor& W, const Tensor& b, const Tensor& p, const Tensor& start,
                                 double gradTol, double tolNats, int64_t maxIterations) {
  auto full = lbfgs(objectiveFor(W, b, p), start, gradTol, tolNats, maxIterations);
  BottleneckResult r;
  r.nats = full.f.clamp_min(0.0);
  r.gradNorm = full.gradNorm;
  r.iterations = full.iterations;
  auto minimum = (full.gradNorm <= gradTol) | (full.f <= tolNats);
  r.status = torch::where(minimum, 0, 2).to(torch::kUInt8);
  // A target with zeros: the restricted problem (log-sum-exp over the support only) is below the
  // full one at every s — f(s) − f_F(s) = −log(1 − the mass s puts off the support) — so its
  // minimum f_F* bounds the infimum from below, and the full search's value from above. Where the
  // two meet within tolNats, f_F* is the infimum within tolNats, reached only as the mass off the
  // support vanishes (‖s‖ → ∞); a gradient norm that vanishes on the way there is no minimum.
  auto open = (p <= 0).any(-1).nonzero().squeeze(1);
  if (open.numel() > 0) {
    auto po = p.index_select(0, open);
    auto sub = objectiveFor(W, b, po);
    sub.mask = po <= 0;
    auto restricted = lbfgs(sub, full.x.index_select(0, open), gradTol, tolNats, maxIterations);
    auto lower = restricted.f.clamp_min(0.0);
    auto settled = (restricted.gradNorm <= gradTol) | (restricted.f <= tolNats);
    auto met = (settled & (full.f.index_select(0, open) - lower <= tolNats)).nonzero().squeeze(1);
    auto at = open.index_select(0, met);
    r.nats.index_copy_(0, at, lower.index_select(0, met));
    r.status.index_fill_(0, at, static_cast<uint8_t>(BottleneckStatus::kLimit));
  }
  return r;
}

}  // namespace dp::bound
