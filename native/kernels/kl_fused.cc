// The fused KL as a torch::autograd::Function, so it composes with the model's backward.
#include "kernels/kl.h"

namespace dp::kernels {

namespace {

std::pair<torch::Tensor, torch::Tensor> forwardOn(const torch::Tensor& logits, const torch::Tensor& target) {
#ifdef DP_WITH_CUDA
  if (logits.is_cuda() && logits.scalar_type() != torch::kFloat64) return klForwardCuda(logits, target);
  if (logits.is_cuda()) {  // float64 on a GPU: the CPU kernel, moved back (tests only)
    auto [loss, stats] = klForwardCpu(logits.cpu(), target.cpu());
    return {loss.to(logits.device()), stats.to(logits.device())};
  }
#endif
  TORCH_CHECK(logits.is_cpu(), "kl: logits on ", logits.device(), " but this build has no CUDA kernels");
  return klForwardCpu(logits, target);
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
                               const torch::Tensor& target) {
    auto [loss, lse] = forwardOn(logits, target);
    ctx->save_for_backward({logits, target, lse});
    return loss;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    return {backwardOn(saved[0], saved[1], saved[2], grads[0]), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor klFused(const torch::Tensor& logits, const torch::Tensor& target) {
  TORCH_CHECK(logits.dim() == 2, "kl: logits must be [rows, V], got ", logits.sizes());
  TORCH_CHECK(target.sizes() == logits.sizes(), "kl: target ", target.sizes(), " does not match logits ",
              logits.sizes());
  TORCH_CHECK(target.device() == logits.device(), "kl: target on ", target.device(), ", logits on ", logits.device());
  return KlFunction::apply(logits, target.detach());
}

}  // namespace dp::kernels
