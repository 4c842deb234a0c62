// The head bound: the lowest KL(p || softmax(W s + b)) any prompt can reach, because every
// prompt's last hidden state leaves the final norm on a known set.
//
//   LayerNorm: s = γ⊙c + β, Σc = 0, ‖c‖ = √d·√(σ²/(σ²+ε))      RMSNorm: s = γ⊙c, same ‖c‖
//
// With W' = W·diag(γ) and b' = Wβ + b the problem in c is
//
//   f(c) = logsumexp(W'c + b') − (W'ᵀp)·c − b'ᵀp − H(p)          (= KL, convex in c)
//   ∇f(c) = W'ᵀ(softmax(W'c + b') − p)
//
// Three numbers per target:
// - the ball bound (certified): f minimised over ‖c‖ ≤ √d, which holds every ε, by spectral
//   projected gradient (Barzilai–Borwein steps, non-monotone Armijo), every target of a group
//   at once; the certificate is the Frank–Wolfe gap ⟨∇f, c⟩ + √d‖P∇f‖ ≥ f(c) − min f.
// - the sphere value (sphere.h): f over ‖c‖ = √d, the set a norm outputs for any prompt a model
//   reads. The same number where the ball's optimum is on the sphere; a multi-start search on
//   the sphere where it is inside. ball ≤ sphere ≤ the KL any prompt reaches.
// - the bottleneck (bottleneck.h): f over all s ∈ R^d (no norm), solved to a stationary point,
//   or to its limit where the infimum needs ‖s‖ → ∞.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <memory>

#include <string>
#include <vector>

namespace dp {

struct HeadProblem {
  torch::Tensor W;      // [V, d] LM head
  torch::Tensor bias;   // [V] or undefined
  torch::Tensor gamma;  // [d] final-norm scale (undefined: no norm, bottleneck only)
  torch::Tensor beta;   // [d] final-norm shift or undefined
  bool layerNorm = false;
};

struct BoundOptions {
  torch::ScalarType dtype = torch::kFloat64;  // every GEMM and sum of the solver
  double tolNats = 1e-5;                      // head: stop when the Frank–Wolfe gap is below this
  int64_t maxIterations = 0;                  // head, per target (0 is an error: the caller states it)
  double gradTol = 1e-6;                      // bottleneck: converged when ‖∇f‖ ≤ this
  int64_t bottleneckIterations = 0;           // 0: skip the bottleneck bound
  bool sphere = true;                         // the sphere value where the ball's optimum is inside
  int64_t sphereRandomStarts = 2;             // random starts beside the ball optimum's and Wᵀp's directions
  bool returnPoint = false;                   // keep the optimal s (and the distribution it gives)
  // Per target, its group: a run of equal numbers is solved together and alone, its sphere starts
  // drawn from a seed that is the group's number, so a target's bound depends only on its group.
  std::vector<int64_t> groups;
  // Set by the caller (an AbortSignal) to stop: the next evaluation throws bound::Cancelled.
  std::shared_ptr<const std::atomic<bool>> cancel;
};

struct BoundResult {
  torch::Tensor headNats;            // [T] float64: f at the solution (within gapNats of the minimum)
  torch::Tensor gapNats;             // [T] float64: Frank–Wolfe gap (certificate)
  torch::Tensor iterations;          // [T] int64
  torch::Tensor passes;              // [T] int64: passes over W of its group's solve that held a row of it
  torch::Tensor passRows;            // [T] int64: its rows those passes held
  torch::Tensor groupPasses;         // [T] int64: its group's passes over W
  torch::Tensor onBoundary;          // [T] bool: ‖c‖ = √d at the solution (the norm's radius binds)
  torch::Tensor sphereNats;          // [T] float64: min over the sphere (undefined when skipped)
  torch::Tensor sphereStarts;        // [T] int64: starts that reached it (0: the ball's optimum is on the sphere)
  torch::Tensor sphereResidual;      // [T] float64: ‖∇f along the sphere‖ there
  torch::Tensor bottleneckNats;      // [T] float64 (undefined when skipped)
  torch::Tensor bottleneckGradNorm;  // [T] float64
  torch::Tensor bottleneckStatus;    // [T] uint8: BottleneckStatus (minimum, limit, unconverged)
  torch::Tensor point;               // [T, d] float32: s = γ⊙c + β (returnPoint)
  torch::Tensor distribution;        // [T, V] float32: softmax(W s + b) (returnPoint)
};

// targets: [T, V] (any float dtype, any device; moved to W's device). Throws on bad shapes.
BoundResult solveHeadBound(const HeadProblem& problem, const torch::Tensor& targets, const BoundOptions& opts);

}  // namespace dp
