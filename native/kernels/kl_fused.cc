// The fused KL as a torch::autograd::Function, so it composes with the model's backward.
#include "kernels/kl.h"

namespace dp::kernels {

namespace {

std::pair<torch::Tensor, torch::Tensor> forwardOn(const torch::Tensor& logits, const torch::Tensor& target,
                                                  int64_t group = 1, const torch::Tensor& terms = {}) {
#ifdef DP_WITH_CUDA
  if (logits.is_cuda() && logits.scalar_type() != torch::kFloat64) return klForwardCuda(logits, target, group);
  if (logits.is_cuda()) {  // float64 on a GPU: the CPU kernel, moved back (tests only)
    auto [loss, stats] = klForwardCpu(logits.cpu(), target.cpu(), group);
    return {loss.to(logits.device()), stats.to(logits.device())};
  }
#endif
  TORCH_CHECK(logits.is_cpu(), "kl: logits on ", logits.device(), " but this build has no CUDA kernels");
  return klForwardCpu(logits, target, group, terms);
}

torch::Tensor backwardOn(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& lse,
                         const torch::Tensor& g) {
#ifdef DP_WITH_CUDA
  if (logits.is_cuda() && logits.scalar_type() != torch::kFloat64) return klBackwardCuda(logits, target, lse, g);
  if (logits.is_cuda()) return klBackwardCpu(logits.cpu(), target.cpu(), lse.cpu(), g.cpu()).to(logits.device());
#endif
  return klBackwardCpu(logits, target, lse, g);
}

class KlFunction : public torch::autograd::Function<KlFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& logits,
                               const torch::Tensor& target, const torch::Tensor& terms) {
    auto [loss, lse] = forwardOn(logits, target, 1, terms.numel() ? terms : torch::Tensor());
    ctx->save_for_backward({logits, target, lse});
    return loss;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    return {backwardOn(saved[0], saved[1], saved[2], grads[0]), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor klTargetTerms(const torch::Tensor& target) {
  torch::NoGradGuard ng;
  auto p = target.to(torch::kFloat64);
  return torch::stack({torch::xlogy(p, p).sum(-1), p.sum(-1)}, 1);
}

torch::Tensor klFused(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& terms) {
  TORCH_CHECK(logits.dim() == 2, "kl: logits must be [rows, V], got ", logits.sizes());
  TORCH_CHECK(target.sizes() == logits.sizes(), "kl: target ", target.sizes(), " does not match logits ",
              logits.sizes());
  TORCH_CHECK(target.device() == logits.device(), "kl: target on ", target.device(), ", logits on ", logits.device());
  // autograd's apply takes defined tensors only: "no terms" travels as an empty one.
  return KlFunction::apply(logits, target.detach(),
                           terms.defined() ? terms.detach() : torch::empty({0, 2}, torch::kFloat64));
}

torch::Tensor klCandidates(const torch::Tensor& logits, const torch::Tensor& target, bool shared,
                           const torch::Tensor& terms) {
  TORCH_CHECK(logits.dim() == 2 && target.dim() == 2 && target.size(0) > 0 && logits.size(0) % target.size(0) == 0 &&
                  target.size(1) == logits.size(1),
              "kl: candidate logits ", logits.sizes(), " are not k rows per target row of ", target.sizes());
  TORCH_CHECK(target.device() == logits.device(), "kl: target on ", target.device(), ", logits on ", logits.device());
  torch::NoGradGuard ng;
  const int64_t k = logits.size(0) / target.size(0);
  if (shared) return forwardOn(logits, target, k, terms).first;
  // The copy the shared read avoids: k rows of vocabulary floats per target.
  auto copied = target.unsqueeze(1).expand({target.size(0), k, target.size(1)}).reshape({-1, target.size(1)});
  return forwardOn(logits, copied, 1, terms.defined() ? terms.repeat_interleave(k, 0) : terms).first;
}

}  // namespace dp::kernels
