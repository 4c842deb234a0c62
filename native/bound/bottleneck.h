// The softmax bottleneck alone: min over all s ∈ R^d of KL(p || softmax(W s + b)), solved to a
// stationary point (batched L-BFGS, float64). The problem is convex, and its minimum exists
// exactly when Wᵀp lies inside the hull of W's rows; otherwise (a target with zeros whose support
// spans a face of that hull) the infimum is only approached as ‖s‖ → ∞, where the gradient also
// vanishes. For a target with zeros the minimum of the problem restricted to its support (the
// log-sum-exp over its tokens only) bounds the full problem from below everywhere: when the full
// search comes within tolNats of it, that value is the infimum (within tolNats), and it is
// reported as a limit.
#pragma once
#include "bound/solver.h"

namespace dp::bound {

enum class BottleneckStatus : uint8_t {
  kMinimum = 0,      // a stationary point: ‖∇f‖ ≤ gradTol (or f within tolNats of 0)
  kLimit = 1,        // a target with zeros: the restricted minimum, met by the full search within tolNats
  kUnconverged = 2,  // neither, at the iteration cap: no number is reported as the bound
};

struct BottleneckResult {
  Tensor nats;      // [n]: the minimum or the limit (status 0 or 1); the value reached otherwise
  Tensor gradNorm;  // [n]: ‖∇f‖ at the last point of the full search
  Tensor status;    // [n] uint8 (BottleneckStatus)
  Tensor iterations;
};

BottleneckResult solveBottleneck(const Tensor& W, const Tensor& b, const Tensor& p, const Tensor& start, double gradTol,
                                 double tolNats, int64_t maxIterations, const std::atomic<bool>* cancel = nullptr,
                                 Trace* trace = nullptr, PassCount* count = nullptr);

// Batched L-BFGS (memory 30, Armijo backtracking) from x0, switching to Newton steps on each
// row's likeliest tokens once a row has run 30 iterations (bottleneck.cc says why); rows leave
// when ‖∇f‖ ≤ gradTol or f ≤ floor (KL is never below 0: nothing is left to gain). Its
// stationarity is ‖∇f‖, over all V tokens in float64 whichever step got there.
using LbfgsResult = SpgResult;
LbfgsResult lbfgs(const Objective& obj, const Tensor& x0, double gradTol, double floor, int64_t maxIterations);

}  // namespace dp::bound
