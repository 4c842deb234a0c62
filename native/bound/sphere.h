// The head bound on the set a final norm actually outputs: its sphere ‖c‖ = √d (in Σc = 0 for
// LayerNorm), not the ball inside it. A norm's output has ‖c‖ = √d·√(σ²/(σ²+ε)); for any prompt a
// model reads σ² ≫ ε, so the sphere is where prompts go. Minimising a convex f over a sphere is
// not convex, so the search runs from several starts (the ball optimum's direction, Wᵀp, random
// ones, each with its antipode) by Riemannian spectral gradient with a retraction, and reports the
// best value, how many starts reached it, and its stationarity residual (the Riemannian
// gradient's norm).
#pragma once
#include "bound/solver.h"

namespace dp::bound {

struct SphereResult {
  Tensor nats;      // [n] best value over the starts
  Tensor agreed;    // [n] int64: starts within tolNats of the best after screening (sphere.cc)
  Tensor residual;  // [n] ‖grad f along the sphere‖ at the best point
  Tensor point;     // [n, d] the best c
};

// Wc, bc: the head in c (W·diag(γ), Wβ + b); cBall: the ball's optimum per row (its direction is
// one start); 2·(2 + randomStarts) starts in all.
SphereResult solveSphere(const Objective& obj, const Feasible& sphere, const Tensor& cBall, int64_t randomStarts,
                         double gradTol, double tolNats, int64_t maxIterations, uint64_t seed);

}  // namespace dp::bound
