// The head bound: the lowest KL(p || softmax(W s + b)) any prompt can reach, because every
// prompt's last hidden state leaves the final norm inside a known convex set S.
//
//   LayerNorm: S = { γ⊙c + β : Σc = 0, ‖c‖ ≤ √d }      RMSNorm: S = { γ⊙c : ‖c‖ ≤ √d }
//
// (eps only shrinks ‖c‖). With W' = W·diag(γ) and b' = Wβ + b the problem in c is
//
//   f(c) = logsumexp(W'c + b') − (W'ᵀp)·c − b'ᵀp − H(p)          (= KL, convex in c)
//   ∇f(c) = W'ᵀ(softmax(W'c + b') − p)
//
// minimised over the ball of radius √d (in the subspace Σc = 0 for LayerNorm) by spectral
// projected gradient (Barzilai–Borwein steps, non-monotone Armijo search), every target of
// the batch at once: two GEMMs over W per iteration. The certificate is the Frank–Wolfe gap
// ⟨∇f, c⟩ + √d‖P∇f‖ ≥ f(c) − min f, so the reported value is within `gap` of the minimum.
//
// The bottleneck bound is the same objective over all s ∈ R^d (no norm): started from the
// head bound's point, so it is never above it. Its infimum may need ‖s‖ → ∞ (targets with
// zeros, very low entropies): the search stops when its gradient norm falls below gradTol or
// its value below tolNats (converged: KL is never below 0), or when its value has fallen by less than tolNats over 10
// iterations or reached the iteration cap (not converged: the infimum is lower still); the value reached is reported
// with its gradient norm and the flag.
#pragma once
#include <torch/torch.h>

#include <string>

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
  int64_t batch = 64;                         // targets solved together
  bool returnPoint = false;                   // keep the optimal s (and the distribution it gives)
};

struct BoundResult {
  torch::Tensor headNats;             // [T] float64: f at the solution (within gapNats of the minimum)
  torch::Tensor gapNats;              // [T] float64: Frank–Wolfe gap (certificate)
  torch::Tensor iterations;           // [T] int64
  torch::Tensor onBoundary;           // [T] bool: ‖c‖ = √d at the solution (the norm's radius binds)
  torch::Tensor bottleneckNats;       // [T] float64 (undefined when skipped)
  torch::Tensor bottleneckGradNorm;   // [T] float64
  torch::Tensor bottleneckConverged;  // [T] bool
  torch::Tensor point;                // [T, d] float32: s = γ⊙c + β (returnPoint)
  torch::Tensor distribution;         // [T, V] float32: softmax(W s + b) (returnPoint)
};

// targets: [T, V] (any float dtype, any device; moved to W's device). Throws on bad shapes.
BoundResult solveHeadBound(const HeadProblem& problem, const torch::Tensor& targets, const BoundOptions& opts);

}  // namespace dp
