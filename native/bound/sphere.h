// The head bound on the set a final norm actually outputs: its sphere ‖c‖ = √d (in Σc = 0 for
// LayerNorm), not the ball inside it. A norm's output has ‖c‖ = √d·√(σ²/(σ²+ε)); for any prompt a
// model reads σ² ≫ ε, so the sphere is where prompts go. Minimising a convex f over a sphere is
// not convex, so the search runs from several starts (the ball optimum's direction, Wᵀp, random
// ones, each with its antipode) by Riemannian L-BFGS with a retraction, and reports the best
// value, how many starts reached it, and its stationarity residual (the Riemannian gradient's
// norm).
//
// Why L-BFGS: where the ball's optimum is inside, f near it is about a convex quadratic, and its
// minimum on the sphere lies near the quadratic's flattest direction: finding it is finding an
// eigenvector, where a gradient method creeps (the Riemannian Hessian there, Hess f − μI, is nearly
// singular) and a quasi-Newton memory does not (bench/RESULTS.md, 2026-12-06, has the passes
// each took). DISTPROMPT_SPHERE_SEARCH=spg runs the Riemannian spectral projected gradient
// instead (the same minima within the residual; for comparing the two).
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
// Riemannian L-BFGS on the sphere S (memory 10, monotone Armijo backtracking, the stored pairs
// carried to each new point by projection onto its tangent space); rows leave at a Riemannian
// gradient norm ≤ tol, or stuck where even a gradient step finds no decrease. Never increases f.
SpgResult sphereLbfgs(const Objective& obj, const Tensor& x0, const Feasible& S, double tol, int64_t maxIterations);

// DISTPROMPT_SPHERE_SEARCH: true for 'spg', false for 'lbfgs' or unset; throws on anything else.
bool sphereSearchIsSpg();

SphereResult solveSphere(const Objective& obj, const Feasible& sphere, const Tensor& cBall, int64_t randomStarts,
                         double gradTol, double tolNats, int64_t maxIterations, uint64_t seed);

}  // namespace dp::bound
