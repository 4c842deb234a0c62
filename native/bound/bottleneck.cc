#include "bound/bottleneck.h"

#include <algorithm>
#include <cmath>

namespace dp::bound {

namespace {
constexpr double kFarLogit = 1e8;

// The Newton direction −H⁻¹g per row, with the Hessian H = Wᵀ(diag q − qqᵀ)W taken over the
// row's K most likely tokens only (their covariance under q, which is ⪯ the full one): near a
// minimum q is concentrated on few tokens, so this is the Hessian up to the mass left out, and
// the step converges where L-BFGS, on this badly conditioned problem, needs hundreds of passes
// over W. Costs K·d² per row instead of a pass over all V tokens. `ok` is false where the
// truncated Hessian is not positive definite (the caller then takes its quasi-Newton step).
std::pair<Tensor, Tensor> supportNewton(const Tensor& W, const Tensor& q, const Tensor& g, int64_t K) {
  const int64_t n = q.size(0), d = W.size(1);
  auto [qk, ik] = q.topk(K, -1);
  auto Wk = W.index_select(0, ik.flatten()).view({n, K, d});
  auto m = torch::bmm(qk.unsqueeze(1), Wk);  // [n, 1, d]
  auto H = torch::bmm(Wk.transpose(1, 2) * qk.unsqueeze(1), Wk) -
           m.transpose(1, 2) * m / qk.sum(-1).clamp_min(1e-300).view({n, 1, 1});
  // A relative ridge keeps the factorisation meaningful where the support spans fewer than d
  // directions (those then move by the quasi-Newton fallback's rule of a capped step).
  auto scale = H.diagonal(0, 1, 2).mean(-1).clamp_min(1e-300);
  H.diagonal(0, 1, 2).add_((1e-10 * scale).unsqueeze(1));
  auto [L, info] = torch::linalg_cholesky_ex(H);
  auto dir = -torch::cholesky_solve(g.unsqueeze(2), L).squeeze(2);
  auto ok = (info == 0) & torch::isfinite(dir).all(-1);
  return {torch::where(ok.unsqueeze(1), dir, torch::zeros_like(dir)), ok};
}
}  // namespace

LbfgsResult lbfgs(const Objective& obj, const Tensor& x0, double gradTol, double floor, int64_t maxIterations) {
  constexpr int64_t kMemory = 30, kBacktracks = 60, kNewtonAfter = 30;
  const int64_t n = x0.size(0), d = x0.size(1);
  auto opts = x0.options();
  auto out = unfilled(x0);
  auto idx = torch::arange(n, opts.dtype(torch::kInt64));
  Objective o = obj;
  auto x = x0.clone();
  auto [f, q] = o.value(x);
  auto g = o.gradient(q);
  const int64_t K = std::min(obj.W.size(0), std::max<int64_t>(2 * d, 256));
  LbfgsMemory mem(kMemory, g);
  // Past this norm a logit W x is ~1e8 and the KL, a difference of such numbers, has fewer than
  // eight digits left in float64: a row stops there (as it is: not a stationary point).
  const double farNorm = kFarLogit / std::max(obj.W.norm(2, -1).max().item<double>(), 1e-300);

  auto finish = [&](const Tensor& rows, const Tensor& gn, int64_t it) { retire(out, idx, rows, x, f, gn, it); };
  // A row whose last step found neither a decrease nor curvature: stuck at this precision, it
  // leaves as it is (not a stationary point unless its gradient norm says so).
  auto stuck = torch::zeros({n}, opts.dtype(torch::kBool));
  // A row whose Newton step found no decrease takes the quasi-Newton step next.
  auto noNewton = torch::zeros({n}, opts.dtype(torch::kBool));
  for (int64_t it = 0;; ++it) {
    auto gn = g.norm(2, -1);
    auto done = (gn <= gradTol) | (f <= floor) | ~torch::isfinite(f) | (x.norm(2, -1) > farNorm) | stuck;
    if (it == maxIterations) done = torch::ones_like(done);
    if (done.any().item<bool>()) {
      finish(done.nonzero().squeeze(1), gn, it);
      auto rest = (~done).nonzero().squeeze(1);
      if (rest.numel() == 0) break;
      idx = idx.index_select(0, rest);
      o = o.rows(rest);
      for (auto* t : {&x, &f, &q, &g, &stuck, &noNewton}) *t = t->index_select(0, rest);
      mem.keep(rest);
    }
    o.iteration(x.size(0), it);
    auto r = mem.apply(g);
    // Only for rows L-BFGS has not settled in its first iterations: on a well-conditioned row the
    // quasi-Newton steps converge at a pass each, and a truncated Hessian would only slow them.
    // Before then it is not computed at all (its top-k over V and factorisations cost about a pass).
    auto useNewton = torch::zeros_like(noNewton);
    auto dir = -r;
    if (it >= kNewtonAfter) {
      auto [newton, ok] = supportNewton(o.W, q, g, K);
      useNewton = ok & ~noNewton;
      if (o.trace) o.trace->now().newtonRows += useNewton.sum().item<int64_t>();
      dir = torch::where(useNewton.unsqueeze(1), newton, dir);
    }
    auto slope = (g * dir).sum(-1);
    // Not a descent direction (rounding): fall back to the scaled gradient.
    auto uphill = (slope >= 0).unsqueeze(1);
    dir = torch::where(uphill, -g * mem.gamma.unsqueeze(1), dir);
    // At most ‖x‖ (or 1) long: where the infimum lies at ‖s‖ → ∞ the curvature vanishes along the
    // way and the quasi-Newton step would grow without bound, into values float64 cannot hold
    // (a logit of 1e17 has no digits left for the KL). Doubling per iteration still gets there.
    auto cap = x.norm(2, -1, true).clamp_min(1.0);
    dir = dir * torch::clamp(cap / dir.norm(2, -1, true).clamp_min(1e-300), c10::nullopt, 1.0);
    slope = (g * dir).sum(-1);
    auto along = [&](const Tensor& rows, const Tensor& t) {
      return x.index_select(0, rows) + t.unsqueeze(1) * dir.index_select(0, rows);
    };
    auto tr = backtrack(o, along, f, slope, kBacktracks);
    auto ok = tr.ok;
    Tensor trial = tr.x, ft = tr.f, qt = tr.q;
    q = torch::where(ok.unsqueeze(1), qt, q);
    // A row that found no decrease keeps its point (its gradient norm then says how far it is).
    auto keepOld = ~ok;
    trial = torch::where(keepOld.unsqueeze(1), x, trial);
    ft = torch::where(keepOld, f, ft);
    auto gt = o.gradient(qt);
    gt = torch::where(keepOld.unsqueeze(1), g, gt);
    auto s = trial - x, y = gt - g;
    auto sy = (s * y).sum(-1), yy = (y * y).sum(-1);
    auto good = sy > 1e-300;
    mem.push(s, y, sy, yy, good);
    x = trial;
    f = ft;
    g = gt;
    stuck = keepOld & ~good & ~useNewton;
    noNewton = keepOld & useNewton;
  }
  return out;
}

BottleneckResult solveBottleneck(const Tensor& W, const Tensor& b, const Tensor& p, const Tensor& start, double gradTol,
                                 double tolNats, int64_t maxIterations, const std::atomic<bool>* cancel, Trace* trace,
                                 PassCount* count) {
  LbfgsResult full;
  {
    Trace::Scope part(trace, "bottleneck");
    full = lbfgs(objectiveFor(W, b, p, cancel, trace, count), start, gradTol, tolNats, maxIterations);
  }
  BottleneckResult r;
  r.nats = full.f.clamp_min(0.0);
  r.gradNorm = full.stationarity;
  r.iterations = full.iterations;
  auto minimum = (full.stationarity <= gradTol) | (full.f <= tolNats);
  r.status = torch::where(minimum, 0, 2).to(torch::kUInt8);
  // A target with zeros: the restricted problem (log-sum-exp over the support only) is below the
  // full one at every s — f(s) − f_F(s) = −log(1 − the mass s puts off the support) — so its
  // minimum f_F* bounds the infimum from below, and the full search's value from above. Where the
  // two meet within tolNats, f_F* is the infimum within tolNats, reached only as the mass off the
  // support vanishes (‖s‖ → ∞); a gradient norm that vanishes on the way there is no minimum.
  auto open = (p <= 0).any(-1).nonzero().squeeze(1);
  if (open.numel() > 0) {
    auto po = p.index_select(0, open);
    auto sub = objectiveFor(W, b, po, cancel, trace, count, open);
    sub.mask = po <= 0;
    LbfgsResult restricted;
    {
      Trace::Scope part(trace, "bottleneck restricted");
      restricted = lbfgs(sub, full.x.index_select(0, open), gradTol, tolNats, maxIterations);
    }
    Trace::Scope part(trace, "bottleneck limit");
    auto lower = restricted.f.clamp_min(0.0);
    auto settled = (restricted.stationarity <= gradTol) | (restricted.f <= tolNats);
    // An upper bound from real points: the restricted minimum moved out along the direction the
    // full search went (t doubling), where the mass off the support vanishes while the support's
    // logits keep their differences; with the full search's own value.
    const auto fullObj = objectiveFor(W, b, po, cancel, trace, count, open);
    auto upper = full.f.index_select(0, open);
    auto x = full.x.index_select(0, open);
    auto u = x / x.norm(2, -1, true).clamp_min(1e-300);
    const double farNorm = kFarLogit / std::max(W.norm(2, -1).max().item<double>(), 1e-300);
    // Only rows not yet met are moved on (a met row's upper bound has done its work), and the
    // doubling stops once none is left (the values and statuses are those of doubling to farNorm).
    for (double t = 1; t < farNorm; t *= 2) {
      auto left = (settled & (upper - lower > tolNats)).nonzero().squeeze(1);
      if (left.numel() == 0) break;
      fullObj.iteration(left.numel(), static_cast<int64_t>(std::log2(t)));
      auto far = restricted.x.index_select(0, left) + t * u.index_select(0, left);
      upper.index_copy_(0, left, torch::fmin(upper.index_select(0, left), fullObj.rows(left).value(far).first));
    }
    auto met = (settled & (upper - lower <= tolNats)).nonzero().squeeze(1);
    auto at = open.index_select(0, met);
    r.nats.index_copy_(0, at, lower.index_select(0, met));
    r.status.index_fill_(0, at, static_cast<uint8_t>(BottleneckStatus::kLimit));
  }
  return r;
}

}  // namespace dp::bound
