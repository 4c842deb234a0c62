#include "bound/head_bound.h"

#include <cmath>

namespace dp {

namespace {

using torch::Tensor;

// One batch of targets against one linear map: f(x) = lse(W x + b) − a·x − k, with a = Wᵀp and
// k = bᵀp + H(p) fixed per target, so each evaluation is one GEMM and each gradient another.
struct Objective {
  Tensor W;  // [V, d]
  Tensor b;  // [V] or undefined
  Tensor a;  // [n, d]
  Tensor k;  // [n]

  Objective rows(const Tensor& idx) const { return {W, b, a.index_select(0, idx), k.index_select(0, idx)}; }

  // f [n] and softmax(W x + b) [n, V] at x [n, d].
  std::pair<Tensor, Tensor> value(const Tensor& x) const {
    auto z = torch::matmul(x, W.t());
    if (b.defined()) z.add_(b);
    // One exp pass gives both the log-sum-exp and the softmax (z becomes q in place).
    auto m = std::get<0>(z.max(-1, true));
    auto sum = z.sub_(m).exp_().sum(-1, true);
    auto lse = (m + sum.log()).squeeze(-1);
    auto f = lse - (x * a).sum(-1) - k;
    return {f, z.div_(sum)};
  }
  Tensor gradient(const Tensor& q) const { return torch::matmul(q, W) - a; }
};

Objective objectiveFor(const Tensor& W, const Tensor& b, const Tensor& p) {
  auto a = torch::matmul(p, W);
  auto k = -torch::special_xlogy(p, p).sum(-1);  // H(p), with 0 log 0 = 0
  if (b.defined()) k = k + torch::matmul(p, b);
  return {W, b, a, k};
}

// The feasible set: the ball ‖x‖ ≤ radius (in the subspace Σx = 0 when `centred`), or all of
// R^d when radius is infinite.
struct Feasible {
  double radius = INFINITY;
  bool centred = false;
  bool bounded() const { return std::isfinite(radius); }
  Tensor inSubspace(const Tensor& x) const { return centred ? x - x.mean(-1, true) : x; }
  Tensor project(const Tensor& x) const {
    if (!bounded()) return x;
    auto y = inSubspace(x);
    auto n = y.norm(2, -1, true);
    return y * torch::clamp(radius / n.clamp_min(1e-300), c10::nullopt, 1.0);
  }
  // Bounded: the Frank–Wolfe gap ⟨g, x⟩ − min_{u ∈ S} ⟨g, u⟩ ≥ f(x) − min f.
  // Unbounded: the gradient norm (no finite gap exists).
  Tensor stationarity(const Tensor& x, const Tensor& g) const {
    auto pg = inSubspace(g);
    if (!bounded()) return pg.norm(2, -1);
    return ((pg * x).sum(-1) + radius * pg.norm(2, -1)).clamp_min(0.0);
  }
};

struct SpgResult {
  Tensor x, f, stationarity, iterations;
};

// Spectral projected gradient (Birgin, Martínez & Raydan) for every row at once; rows that
// meet `tol` leave the computation. Non-monotone Armijo over the last kMemory values.
// `stallNats` > 0: a row also stops once its value has fallen by less than that over the last
// kMemory iterations (the unbounded problem, whose infimum may lie at infinity).
SpgResult spg(const Objective& obj, const Tensor& x0, const Feasible& S, double tol, int64_t maxIterations,
              double stallNats = 0.0) {
  constexpr int64_t kMemory = 10, kBacktracks = 40;
  constexpr double kArmijo = 1e-4, kAlphaMin = 1e-12, kAlphaMax = 1e12;
  const int64_t n = x0.size(0);
  auto opts = x0.options();
  SpgResult out{torch::empty_like(x0), torch::empty({n}, opts), torch::empty({n}, opts),
                torch::zeros({n}, opts.dtype(torch::kInt64))};

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
  // First step: one unit along the projected gradient.
  auto alpha = (1.0 / S.inSubspace(g).norm(2, -1).clamp_min(1e-12)).clamp(kAlphaMin, kAlphaMax);

  auto finish = [&](const Tensor& rows, const Tensor& station, int64_t it) {
    auto where = idx.index_select(0, rows);
    out.x.index_copy_(0, where, x.index_select(0, rows));
    out.f.index_copy_(0, where, f.index_select(0, rows));
    out.stationarity.index_copy_(0, where, station.index_select(0, rows));
    out.iterations.index_fill_(0, where, it);
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
    if (stallNats > 0 && it >= kMemory) done = done | (std::get<0>(history.max(1)) - f < stallNats);
    if (it == maxIterations) done = torch::ones_like(done);
    if (done.any().item<bool>()) {
      finish(done.nonzero().squeeze(1), station, it);
      auto rest = (~done).nonzero().squeeze(1);
      if (rest.numel() == 0) break;
      keep(rest);
    }
    auto step = S.project(x - alpha.unsqueeze(1) * g) - x;
    auto slope = (g * step).sum(-1);  // ≤ 0: a descent direction
    auto reference = std::get<0>(history.max(1));
    auto t = torch::ones_like(f);
    auto trial = x + step;
    auto [ft, qt] = o.value(trial);
    auto ok = ft <= reference + kArmijo * t * slope;
    for (int64_t bt = 0; bt < kBacktracks; ++bt) {
      auto bad = (~ok).nonzero().squeeze(1);
      if (bad.numel() == 0) break;
      t.index_copy_(0, bad, t.index_select(0, bad) * 0.5);
      auto tb = t.index_select(0, bad);
      auto xb = x.index_select(0, bad) + tb.unsqueeze(1) * step.index_select(0, bad);
      auto [fb, qb] = o.rows(bad).value(xb);
      trial.index_copy_(0, bad, xb);
      ft.index_copy_(0, bad, fb);
      qt.index_copy_(0, bad, qb);
      ok.index_copy_(0, bad, fb <= reference.index_select(0, bad) + kArmijo * tb * slope.index_select(0, bad));
    }
    // Rows still not accepted take the shortest step tried: the search direction is exhausted
    // at this precision, and the next iteration's certificate says how close they are.
    auto gt = o.gradient(qt);
    auto s = trial - x, y = gt - g;
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

}  // namespace

BoundResult solveHeadBound(const HeadProblem& pr, const torch::Tensor& targets, const BoundOptions& opts) {
  TORCH_CHECK(pr.W.dim() == 2, "head bound: W must be [vocab, hidden]");
  const int64_t V = pr.W.size(0), d = pr.W.size(1);
  TORCH_CHECK(targets.dim() == 2 && targets.size(1) == V, "head bound: targets must be [rows, ", V, "]");
  TORCH_CHECK(!pr.gamma.defined() || pr.gamma.numel() == d, "head bound: gamma must have ", d, " values");
  TORCH_CHECK(!pr.beta.defined() || pr.beta.numel() == d, "head bound: beta must have ", d, " values");
  TORCH_CHECK(!pr.bias.defined() || pr.bias.numel() == V, "head bound: bias must have ", V, " values");
  TORCH_CHECK(opts.maxIterations > 0 && opts.batch > 0, "head bound: maxIterations and batch must be positive");
  const auto dev = pr.W.device();
  const auto dt = opts.dtype;
  torch::NoGradGuard ng;

  auto W = pr.W.to(dev, dt).contiguous();
  auto b = pr.bias.defined() ? pr.bias.to(dev, dt).reshape({V}) : Tensor();
  // The head problem in c: W' = W·diag(γ), b' = Wβ + b.
  auto gamma = pr.gamma.defined() ? pr.gamma.to(dev, dt).reshape({d}) : torch::ones({d}, W.options());
  auto beta = pr.beta.defined() ? pr.beta.to(dev, dt).reshape({d}) : Tensor();
  auto Wc = (W * gamma).contiguous();
  Tensor bc = beta.defined() ? torch::matmul(W, beta) : Tensor();
  if (b.defined()) bc = bc.defined() ? bc + b : b;
  const Feasible head{std::sqrt(static_cast<double>(d)), pr.layerNorm}, free{};

  const int64_t T = targets.size(0);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  BoundResult r;
  r.headNats = torch::empty({T}, f64);
  r.gapNats = torch::empty({T}, f64);
  r.iterations = torch::empty({T}, torch::kInt64);
  r.onBoundary = torch::empty({T}, torch::kBool);
  const bool bottleneck = opts.bottleneckIterations > 0;
  if (bottleneck) {
    r.bottleneckNats = torch::empty({T}, f64);
    r.bottleneckGradNorm = torch::empty({T}, f64);
    r.bottleneckConverged = torch::empty({T}, torch::kBool);
  }
  if (opts.returnPoint) {
    r.point = torch::empty({T, d}, torch::kFloat32);
    r.distribution = torch::empty({T, V}, torch::kFloat32);
  }

  for (int64_t from = 0; from < T; from += opts.batch) {
    const int64_t n = std::min(opts.batch, T - from);
    auto p = targets.slice(0, from, from + n).to(dev, dt);
    auto hr = spg(objectiveFor(Wc, bc, p), torch::zeros({n, d}, W.options()), head, opts.tolNats, opts.maxIterations);
    // KL is never below 0; a value a rounding below it is reported as 0.
    r.headNats.slice(0, from, from + n).copy_(hr.f.clamp_min(0.0));
    r.gapNats.slice(0, from, from + n).copy_(hr.stationarity);
    r.iterations.slice(0, from, from + n).copy_(hr.iterations);
    r.onBoundary.slice(0, from, from + n).copy_(hr.x.norm(2, -1) >= head.radius * (1 - 1e-6));
    auto s = hr.x * gamma;  // the hidden state the norm would output
    if (beta.defined()) s = s + beta;
    if (bottleneck) {
      auto br = spg(objectiveFor(W, b, p), s, free, opts.gradTol, opts.bottleneckIterations, opts.tolNats);
      // Started from a point of S, the value reached is never above the head bound's.
      r.bottleneckNats.slice(0, from, from + n).copy_(torch::minimum(br.f, hr.f).clamp_min(0.0));
      r.bottleneckGradNorm.slice(0, from, from + n).copy_(br.stationarity);
      // Converged: a stationary point, or a value within tolNats of 0, below which no KL goes.
      r.bottleneckConverged.slice(0, from, from + n).copy_((br.stationarity <= opts.gradTol) | (br.f <= opts.tolNats));
    }
    if (opts.returnPoint) {
      r.point.slice(0, from, from + n).copy_(s);
      auto z = torch::matmul(s, W.t());
      if (b.defined()) z = z + b;
      r.distribution.slice(0, from, from + n).copy_(torch::softmax(z, -1));
    }
  }
  return r;
}

}  // namespace dp
