#include "bound/head_bound.h"

#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "bound/bottleneck.h"
#include "bound/sphere.h"

namespace dp {

using torch::Tensor;

namespace {
// DISTPROMPT_BOUND_TRACE=FILE: one JSON line a group appended to FILE, the solver's work by part
// (solver.h, Trace), for a benchmark to read.
void writeTrace(const char* path, int64_t group, int64_t n, int64_t inside, const bound::Trace& t) {
  std::FILE* out = std::fopen(path, "a");
  if (!out) return;
  std::fprintf(out, "{\"group\":%lld,\"targets\":%lld,\"sphereSearched\":%lld,\"parts\":{",
               static_cast<long long>(group), static_cast<long long>(n), static_cast<long long>(inside));
  const char* sep = "";
  for (const auto& [name, p] : t.parts) {
    std::fprintf(out,
                 "%s\"%s\":{\"seconds\":%.6f,\"valueRows\":%lld,\"gradientRows\":%lld,\"backtrackRows\":%lld,"
                 "\"rowIterations\":%lld,\"maxIterations\":%lld,\"newtonRows\":%lld}",
                 sep, name.c_str(), p.seconds, static_cast<long long>(p.valueRows),
                 static_cast<long long>(p.gradientRows), static_cast<long long>(p.backtrackRows),
                 static_cast<long long>(p.rowIterations), static_cast<long long>(p.maxIterations),
                 static_cast<long long>(p.newtonRows));
    sep = ",";
  }
  std::fprintf(out, "}}\n");
  std::fclose(out);
}
}  // namespace

BoundResult solveHeadBound(const HeadProblem& pr, const torch::Tensor& targets, const BoundOptions& opts) {
  // In the function, not the file: the addon is built as unity batches, where a file-level
  // directive would reach every file compiled after this one.
  using namespace bound;
  TORCH_CHECK(pr.W.dim() == 2, "head bound: W must be [vocab, hidden]");
  const int64_t V = pr.W.size(0), d = pr.W.size(1);
  TORCH_CHECK(targets.dim() == 2 && targets.size(1) == V, "head bound: targets must be [rows, ", V, "]");
  TORCH_CHECK(!pr.gamma.defined() || pr.gamma.numel() == d, "head bound: gamma must have ", d, " values");
  TORCH_CHECK(!pr.beta.defined() || pr.beta.numel() == d, "head bound: beta must have ", d, " values");
  TORCH_CHECK(!pr.bias.defined() || pr.bias.numel() == V, "head bound: bias must have ", V, " values");
  TORCH_CHECK(opts.maxIterations > 0, "head bound: maxIterations must be positive");
  // A misspelt DISTPROMPT_SPHERE_SEARCH fails every call, not only one whose targets need the search.
  if (opts.sphere) sphereSearchIsSpg();
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
  const Feasible head{std::sqrt(static_cast<double>(d)), pr.layerNorm};
  const Feasible sphere{head.radius, pr.layerNorm, true};

  const int64_t T = targets.size(0);
  TORCH_CHECK(static_cast<int64_t>(opts.groups.size()) == T, "head bound: groups must have ", T,
              " values (one per target)");
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  BoundResult r;
  r.headNats = torch::empty({T}, f64);
  r.gapNats = torch::empty({T}, f64);
  r.iterations = torch::empty({T}, torch::kInt64);
  r.onBoundary = torch::empty({T}, torch::kBool);
  r.passes = torch::empty({T}, torch::kInt64);
  r.passRows = torch::empty({T}, torch::kInt64);
  r.groupPasses = torch::empty({T}, torch::kInt64);
  const bool bottleneck = opts.bottleneckIterations > 0;
  if (bottleneck) {
    r.bottleneckNats = torch::empty({T}, f64);
    r.bottleneckGradNorm = torch::empty({T}, f64);
    r.bottleneckStatus = torch::empty({T}, torch::kUInt8);
  }
  if (opts.sphere) {
    r.sphereNats = torch::empty({T}, f64);
    r.sphereStarts = torch::zeros({T}, torch::kInt64);
    r.sphereResidual = torch::empty({T}, f64);
  }
  if (opts.returnPoint) {
    r.point = torch::empty({T, d}, torch::kFloat32);
    r.distribution = torch::empty({T, V}, torch::kFloat32);
  }

  // A trace file that cannot be written is said before the first group is solved, not found
  // missing after a sweep's bounds.
  if (const char* path = std::getenv("DISTPROMPT_BOUND_TRACE"); path && *path) {
    std::FILE* probe = std::fopen(path, "a");
    if (!probe)
      throw std::runtime_error(std::string("DISTPROMPT_BOUND_TRACE: cannot append to ") + path + " (" +
                               std::strerror(errno) + "): give a file in a folder you can write, or unset it");
    std::fclose(probe);
  }
  for (int64_t from = 0, to = 0; from < T; from = to) {
    const int64_t group = opts.groups[from];
    while (to < T && opts.groups[to] == group) ++to;
    TORCH_CHECK(group >= 0 && (to == T || opts.groups[to] > group),
                "head bound: groups must be numbers >= 0 in non-decreasing order");
    const int64_t n = to - from;
    // Renormalised in the solver's dtype: a float32 target sums to 1 only within its rounding
    // (~1e-7), and f carries (1 − Σp)·lse(W s + b), a term without bound as ‖s‖ grows.
    auto p = targets.slice(0, from, from + n).to(dev, dt);
    p = p / p.sum(-1, true);
    const char* tracePath = std::getenv("DISTPROMPT_BOUND_TRACE");
    Trace traceParts;
    Trace* trace = tracePath && *tracePath ? &traceParts : nullptr;
    int64_t searched = 0;
    PassCount count(n, dev);
    const auto obj = objectiveFor(Wc, bc, p, opts.cancel.get(), trace, &count);
    SpgResult hr;
    {
      Trace::Scope part(trace, "ball");
      hr = spg(obj, torch::zeros({n, d}, W.options()), head, opts.tolNats, opts.maxIterations);
    }
    // KL is never below 0; a value a rounding below it is reported as 0.
    r.headNats.slice(0, from, from + n).copy_(hr.f.clamp_min(0.0));
    r.gapNats.slice(0, from, from + n).copy_(hr.stationarity);
    r.iterations.slice(0, from, from + n).copy_(hr.iterations);
    auto boundary = hr.x.norm(2, -1) >= head.radius * (1 - 1e-6);
    r.onBoundary.slice(0, from, from + n).copy_(boundary);
    if (opts.sphere) {
      // On the sphere already: the same value, and its residual along the sphere.
      auto sphereNats = hr.f.clamp_min(0.0), starts = torch::zeros({n}, hr.iterations.options());
      Tensor residual;
      {
        Trace::Scope part(trace, "sphere residual");
        auto q0 = obj.value(hr.x).second;
        residual = sphere.stationarity(sphere.project(hr.x), obj.gradient(q0));
      }
      auto inside = (~boundary).nonzero().squeeze(1);
      searched = inside.numel();
      if (inside.numel() > 0) {
        // Random starts drawn from the group's own seed: the same group gives the same values,
        // whatever other groups the call solves.
        auto sr = solveSphere(obj.rows(inside), sphere, hr.x.index_select(0, inside), opts.sphereRandomStarts,
                              opts.gradTol, opts.tolNats, opts.maxIterations, static_cast<uint64_t>(group));
        sphereNats.index_copy_(0, inside, sr.nats);
        starts.index_copy_(0, inside, sr.agreed);
        residual.index_copy_(0, inside, sr.residual);
      }
      r.sphereNats.slice(0, from, from + n).copy_(sphereNats);
      r.sphereStarts.slice(0, from, from + n).copy_(starts);
      r.sphereResidual.slice(0, from, from + n).copy_(residual);
    }
    auto s = hr.x * gamma;  // the hidden state the norm would output
    if (beta.defined()) s = s + beta;
    if (bottleneck) {
      auto br = solveBottleneck(W, b, p, s, opts.gradTol, opts.tolNats, opts.bottleneckIterations, opts.cancel.get(),
                                trace, &count);
      // Started from a point of the ball, the value reached is never above the ball bound's.
      r.bottleneckNats.slice(0, from, from + n).copy_(torch::minimum(br.nats, hr.f.clamp_min(0.0)));
      r.bottleneckGradNorm.slice(0, from, from + n).copy_(br.gradNorm);
      r.bottleneckStatus.slice(0, from, from + n).copy_(br.status);
    }
    if (opts.returnPoint) {
      r.point.slice(0, from, from + n).copy_(s);
      auto z = torch::matmul(s, W.t());
      if (b.defined()) z = z + b;
      r.distribution.slice(0, from, from + n).copy_(torch::softmax(z, -1));
    }
    r.passes.slice(0, from, from + n).copy_(count.passes);
    r.passRows.slice(0, from, from + n).copy_(count.rows);
    r.groupPasses.slice(0, from, from + n).fill_(count.total);
    if (trace) writeTrace(tracePath, group, n, searched, traceParts);
  }
  return r;
}

}  // namespace dp
