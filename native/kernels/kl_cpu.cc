// The fused softmax-KL on the CPU: the baseline build of kl_cpu_impl.h, and the choice at run
// time between it and the AVX2 + FMA build (kl_cpu_avx2.cc), where the exponentials and
// logarithms go 8 at a time through Sleef instead of one at a time through libm.
#include <cstdlib>

#define DP_KL_VARIANT baseline
#include "kernels/kl_cpu_impl.h"
#include "kernels/kl.h"

namespace dp::kernels {

#ifdef DP_HAVE_AVX2_KL
namespace avx2 {
std::pair<torch::Tensor, torch::Tensor> klForwardCpu(const torch::Tensor& logits, const torch::Tensor& target,
                                                     int64_t group, const torch::Tensor& terms);
torch::Tensor klBackwardCpu(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& lse,
                            const torch::Tensor& gradLoss);
}  // namespace avx2

static bool useAvx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          __builtin_cpu_supports("f16c") && std::getenv("DISTPROMPT_NO_AVX2") == nullptr;
  return yes;
}
#else
static bool useAvx2() { return false; }
#endif

const char* klCpuVariant() { return useAvx2() ? "avx2" : "baseline"; }

std::pair<torch::Tensor, torch::Tensor> klForwardCpu(const torch::Tensor& logits, const torch::Tensor& target,
                                                     int64_t group, const torch::Tensor& terms) {
#ifdef DP_HAVE_AVX2_KL
  if (useAvx2()) return avx2::klForwardCpu(logits, target, group, terms);
#endif
  return baseline::klForwardCpu(logits, target, group, terms);
}

torch::Tensor klBackwardCpu(const torch::Tensor& logits, const torch::Tensor& target, const torch::Tensor& lse,
                            const torch::Tensor& gradLoss) {
#ifdef DP_HAVE_AVX2_KL
  if (useAvx2()) return avx2::klBackwardCpu(logits, target, lse, gradLoss);
#endif
  return baseline::klBackwardCpu(logits, target, lse, gradLoss);
}

}  // namespace dp::kernels
