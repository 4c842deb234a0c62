// The pieces the head-bound solvers share (head_bound.cc, sphere.cc, bottleneck.cc): the
// objective f(x) = lse(W x + b) − a·x − k for a batch of targets, the sets it is minimised
// over (ball, sphere, all of R^d), and a batched spectral projected gradient over them.
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dp::bound {

using torch::Tensor;

// Thrown by an evaluation once its caller's cancel flag is set (an AbortSignal in JavaScript): a
// bound of many targets on a big head runs for minutes, and every evaluation is a pass over W.
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("distprompt: head bound cancelled") {}
};

// The solver's work by part (DISTPROMPT_BOUND_TRACE, head_bound.cc): rows evaluated (each a pass
// over W), rows backtracked, row-iterations and the longest row's, and seconds. A measurement
// aid: the numbers say where a slow target's time goes, and nothing reads them to decide.
struct Trace {
  struct Part {
    int64_t valueRows = 0, gradientRows = 0, backtrackRows = 0, rowIterations = 0, maxIterations = 0, newtonRows = 0;
    double seconds = 0;
  };
  std::map<std::string, Part> parts;
  std::string current;
  Part& now() { return parts[current]; }
  // The part a scope's work is charged to, and its seconds.
  struct Scope {
    Trace* t;
    std::string before;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    Scope(Trace* trace, const std::string& name) : t(trace) {
      if (!t) return;
      before = t->current;
      t->current = name;
    }
    ~Scope() {
      if (!t) return;
      t->now().seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      t->current = before;
    }
  };
};

// The passes over W a group's solve makes (each evaluation and each gradient is one), counted
// per target of the group: those that held a row of it, and how many of its rows they held. The
// plan prices the bound from them (lib/run/estimate-bound.ts). Counted on the rows' device, with
// no sync.
struct PassCount {
  Tensor passes, rows;  // [n] int64, per target of the group
  int64_t total = 0;    // the group's passes
  explicit PassCount(int64_t n, const torch::Device& device)
      : passes(torch::zeros({n}, torch::TensorOptions().dtype(torch::kInt64).device(device))),
        rows(torch::zeros_like(passes)) {}
  // One pass over the rows whose targets are `owner` (the group's index of each row's target).
  void add(const Tensor& owner) {
    ++total;
    rows.index_add_(0, owner, torch::ones_like(owner));
    passes.add_(torch::zeros_like(passes).index_fill_(0, owner, 1));
  }
};

// One batch of targets against one linear map: f(x) = lse(W x + b) − a·x − k, with a = Wᵀp and
// k = bᵀp + H(p) fixed per target, so each evaluation is one GEMM and each gradient another.
// `mask` (optional, [n, V] bool): tokens left out of the log-sum-exp — the problem restricted
// to a target's support, whose infimum bounds the full one from below.
struct Objective {
  Tensor W;                                   // [V, d]
  Tensor b;                                   // [V] or undefined
  Tensor a;                                   // [n, d]
  Tensor k;                                   // [n]
  Tensor mask;                                // [n, V] or undefined
  const std::atomic<bool>* cancel = nullptr;  // checked before each evaluation; set: throw Cancelled
  Trace* trace = nullptr;                     // counts the passes when set
  PassCount* count = nullptr;                 // counts the passes per target when set
  Tensor owner;                               // [n] int64: each row's target in `count`

  Objective rows(const Tensor& idx) const {
    return {W,
            b,
            a.index_select(0, idx),
            k.index_select(0, idx),
            mask.defined() ? mask.index_select(0, idx) : mask,
            cancel,
            trace,
            count,
            owner.defined() ? owner.index_select(0, idx) : owner};
  }

  // f [n] and softmax(W x + b) [n, V] at x [n, d].
  std::pair<Tensor, Tensor> value(const Tensor& x) const {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
    if (trace) trace->now().valueRows += x.size(0);
    if (count) count->add(owner);
    auto z = torch::matmul(x, W.t());
    if (b.defined()) z.add_(b);
    if (mask.defined()) z.masked_fill_(mask, -INFINITY);
    // One exp pass gives both the log-sum-exp and the softmax (z becomes q in place).
    auto m = std::get<0>(z.max(-1, true));
    auto sum = z.sub_(m).exp_().sum(-1, true);
    auto lse = (m + sum.log()).squeeze(-1);
    auto f = lse - (x * a).sum(-1) - k;
    return {f, z.div_(sum)};
  }
  Tensor gradient(const Tensor& q) const {
    if (trace) trace->now().gradientRows += q.size(0);
    if (count) count->add(owner);
    return torch::matmul(q, W) - a;
  }
  // One iteration of a search over `rows` rows, the `it`-th.
  void iteration(int64_t rows, int64_t it) const {
    if (!trace) return;
    trace->now().rowIterations += rows;
    trace->now().maxIterations = std::max(trace->now().maxIterations, it + 1);
  }
};

// `owner`: each row's target in `count` (undefined: row i is target i).
inline Objective objectiveFor(const Tensor& W, const Tensor& b, const Tensor& p,
                              const std::atomic<bool>* cancel = nullptr, Trace* trace = nullptr,
                              PassCount* count = nullptr, Tensor owner = Tensor()) {
  auto a = torch::matmul(p, W);
  auto k = -torch::special_xlogy(p, p).sum(-1);  // H(p), with 0 log 0 = 0
  if (b.defined()) k = k + torch::matmul(p, b);
  if (count && !owner.defined()) owner = torch::arange(p.size(0), p.options().dtype(torch::kInt64));
  return {W, b, a, k, Tensor(), cancel, trace, count, owner};
}

// The feasible set: the ball ‖x‖ ≤ radius, or its surface ‖x‖ = radius (`sphere`), in the
// subspace Σx = 0 when `centred`; all of R^d when radius is infinite.
struct Feasible {
  double radius = INFINITY;
  bool centred = false;
  bool sphere = false;
  bool bounded() const { return std::isfinite(radius); }
  Tensor inSubspace(const Tensor& x) const { return centred ? x - x.mean(-1, true) : x; }
  Tensor project(const Tensor& x) const {
    if (!bounded()) return x;
    auto y = inSubspace(x);
    auto n = y.norm(2, -1, true).clamp_min(1e-300);
    return sphere ? y * (radius / n) : y * torch::clamp(radius / n, c10::nullopt, 1.0);
  }
  // The gradient along the set: on the sphere, the Riemannian gradient (tangent at x).
  Tensor alongSet(const Tensor& x, const Tensor& g) const {
    auto pg = inSubspace(g);
    if (!sphere) return pg;
    return pg - x * ((pg * x).sum(-1, true) / (radius * radius));
  }
  // Ball: the Frank–Wolfe gap ⟨g, x⟩ − min_{u ∈ S} ⟨g, u⟩ ≥ f(x) − min f.
  // Sphere and R^d: the norm of the gradient along the set (a stationarity residual).
  Tensor stationarity(const Tensor& x, const Tensor& g) const {
    if (!bounded() || sphere) return alongSet(x, g).norm(2, -1);
    auto pg = inSubspace(g);
    return ((pg * x).sum(-1) + radius * pg.norm(2, -1)).clamp_min(0.0);
  }
  // The search step for a spectral step length alpha [n, 1], and the point a fraction t of it
  // reaches: on the ball the chord to the projection (feasible by convexity), on the sphere the
  // tangent step retracted onto the sphere.
  Tensor step(const Tensor& x, const Tensor& g, const Tensor& alpha) const {
    if (!sphere) return project(x - alpha * g) - x;
    // At most one radius long (about a radian): a longer tangent step retracts to no better point.
    auto s = -alpha * alongSet(x, g);
    return s * torch::clamp(radius / s.norm(2, -1, true).clamp_min(1e-300), c10::nullopt, 1.0);
  }
  Tensor reach(const Tensor& x, const Tensor& s, const Tensor& t) const {
    auto y = x + t.unsqueeze(1) * s;
    return sphere ? project(y) : y;
  }
};

// A line search's outcome per row: the step fraction t, the point reached, f and softmax there,
// and whether the Armijo condition f ≤ reference + 1e-4·t·slope holds.
struct Trial {
  Tensor t, x, f, q, ok;
};

// Armijo backtracking for every row at once: from t = 1, rows that fail halve t and are
// evaluated again at reach(rows, t), up to `halvings` times.
Trial backtrack(const Objective& o, const std::function<Tensor(const Tensor& rows, const Tensor& t)>& reach,
                const Tensor& reference, const Tensor& slope, int64_t halvings);

// A batched search's outcome per row (SPG: the set's stationarity; L-BFGS: the gradient norm).
struct SpgResult {
  Tensor x, f, stationarity, iterations;
};

// A search's result for x0's rows, each row filled in as it leaves (retire).
inline SpgResult unfilled(const Tensor& x0) {
  const int64_t n = x0.size(0);
  auto opts = x0.options();
  return {torch::empty_like(x0), torch::empty({n}, opts), torch::empty({n}, opts),
          torch::zeros({n}, opts.dtype(torch::kInt64))};
}

// A batched L-BFGS memory: the pairs (s, y) of the last m steps per row, oldest first; rho =
// 1/(s·y), 0 for an empty slot (which then contributes nothing to the two-loop recursion); gamma
// the initial inverse Hessian's scale, s·y/y·y of the last pair (at first: a step one unit long).
struct LbfgsMemory {
  Tensor S, Y, rho, gamma;
  LbfgsMemory(int64_t m, const Tensor& g)
      : S(torch::zeros({g.size(0), m, g.size(1)}, g.options())),
        Y(torch::zeros_like(S)),
        rho(torch::zeros({g.size(0), m}, g.options())),
        gamma(1.0 / g.norm(2, -1).clamp_min(1e-12)) {}
  void keep(const Tensor& rows) {
    for (auto* t : {&S, &Y, &rho, &gamma}) *t = t->index_select(0, rows);
  }
  // r ≈ H⁻¹ g by the two-loop recursion.
  Tensor apply(const Tensor& g) const {
    const int64_t m = S.size(1);
    auto r = g.clone();
    std::vector<Tensor> al(m);
    for (int64_t i = m - 1; i >= 0; --i) {
      al[i] = rho.select(1, i) * (S.select(1, i) * r).sum(-1);
      r -= al[i].unsqueeze(1) * Y.select(1, i);
    }
    r *= gamma.unsqueeze(1);
    for (int64_t i = 0; i < m; ++i) {
      auto be = rho.select(1, i) * (Y.select(1, i) * r).sum(-1);
      r += (al[i] - be).unsqueeze(1) * S.select(1, i);
    }
    return r;
  }
  // The pair pushed where `good` (it carries curvature); the other rows keep their memory.
  void push(const Tensor& s, const Tensor& y, const Tensor& sy, const Tensor& yy, const Tensor& good) {
    auto S2 = torch::cat({S.slice(1, 1), s.unsqueeze(1)}, 1), Y2 = torch::cat({Y.slice(1, 1), y.unsqueeze(1)}, 1);
    auto rho2 = torch::cat({rho.slice(1, 1), (1.0 / sy.clamp_min(1e-300)).unsqueeze(1)}, 1);
    auto g3 = good.view({-1, 1, 1});
    S = torch::where(g3, S2, S);
    Y = torch::where(g3, Y2, Y);
    rho = torch::where(good.unsqueeze(1), rho2, rho);
    gamma = torch::where(good, sy / yy.clamp_min(1e-300), gamma);
  }
};

// Rows that leave a search: their point, value, residual and iteration count, written to `out`
// at their places in the original batch (idx[rows]).
inline void retire(SpgResult& out, const Tensor& idx, const Tensor& rows, const Tensor& x, const Tensor& f,
                   const Tensor& station, int64_t it) {
  auto where = idx.index_select(0, rows);
  out.x.index_copy_(0, where, x.index_select(0, rows));
  out.f.index_copy_(0, where, f.index_select(0, rows));
  out.stationarity.index_copy_(0, where, station.index_select(0, rows));
  out.iterations.index_fill_(0, where, it);
}

// Spectral projected gradient (Birgin, Martínez & Raydan) for every row at once, on the ball
// or (with a retraction) on the sphere; rows that meet `tol` leave the computation.
// Non-monotone Armijo over the last ten values.
SpgResult spg(const Objective& obj, const Tensor& x0, const Feasible& S, double tol, int64_t maxIterations);

}  // namespace dp::bound
