#include "kernels/kl.h"

namespace dp::kernels {

torch::Tensor klReference(const torch::Tensor& logits, const torch::Tensor& target) {
  auto acc = logits.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  auto logq = torch::log_softmax(logits.to(acc), -1);
  auto p = target.to(acc);
  // 0·log 0 = 0: xlogy handles p = 0; where p > 0 and logq = -inf the row is +inf.
  auto plogp = torch::xlogy(p, p);
  auto cross = torch::where(p > 0, p * logq, torch::zeros_like(logq));
  return (plogp - cross).sum(-1);
}

}  // namespace dp::kernels
