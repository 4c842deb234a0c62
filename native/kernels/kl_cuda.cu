// Fused softmax-KL on CUDA: one block per row. Each thread walks its strided share of the row
// once, keeping an online (max, Σ exp(z − max)) pair plus Σ p·z and Σ p·log p in registers;
// warps merge with shuffles, then the block through shared memory. The backward is an
// elementwise pass writing (exp(z − lse) − p)·g straight into the gradient.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAGuard.h>

#include <cmath>

#include "kernels/kl.h"

namespace dp::kernels {

namespace {

constexpr int kThreads = 512;

struct Acc {
  float max, sum, pz, plogp, psum;
  int bad;
};

__device__ __forceinline__ Acc mergeAcc(Acc a, const Acc& b) {
  if (b.max > a.max) {
    a.sum = (a.max == -INFINITY ? 0.f : a.sum * __expf(a.max - b.max)) + b.sum;
    a.max = b.max;
  } else if (b.max != -INFINITY) {
    a.sum += b.sum * __expf(b.max - a.max);
  }
  a.pz += b.pz;
  a.plogp += b.plogp;
  a.psum += b.psum;
  a.bad |= b.bad;
  return a;
}

__device__ __forceinline__ Acc shuffleDown(const Acc& a, int offset) {
  Acc b;
  b.max = __shfl_down_sync(0xffffffff, a.max, offset);
  b.sum = __shfl_down_sync(0xffffffff, a.sum, offset);
  b.pz = __shfl_down_sync(0xffffffff, a.pz, offset);
  b.plogp = __shfl_down_sync(0xffffffff, a.plogp, offset);
  b.psum = __shfl_down_sync(0xffffffff, a.psum, offset);
  b.bad = __shfl_down_sync(0xffffffff, a.bad, offset);
  return b;
}

template <typename scalar_t>
__global__ void klForwardKernel(const scalar_t* __restrict__ z, const float* __restrict__ p, float* __restrict__ loss,
                                float* __restrict__ stats, int64_t V, int64_t group) {
  const int64_t row = blockIdx.x;
  const scalar_t* zr = z + row * V;
  const float* pr = p + (row / group) * V;  // group > 1: k candidates share their target row
  Acc a{-INFINITY, 0.f, 0.f, 0.f, 0.f, 0};
  for (int64_t v = threadIdx.x; v < V; v += blockDim.x) {
    const float zv = static_cast<float>(zr[v]);
    const float pv = pr[v];
    if (zv > a.max) {
      a.sum = (a.max == -INFINITY ? 0.f : a.sum * __expf(a.max - zv)) + 1.f;
      a.max = zv;
    } else if (zv != -INFINITY) {
      a.sum += __expf(zv - a.max);
    }
    if (pv > 0.f) {
      if (zv == -INFINITY)
        a.bad = 1;
      else
        a.pz += pv * zv;
      a.plogp += pv * logf(pv);
      a.psum += pv;
    }
  }
  for (int offset = 16; offset > 0; offset >>= 1) a = mergeAcc(a, shuffleDown(a, offset));
  __shared__ Acc warps[kThreads / 32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warps[warp] = a;
  __syncthreads();
  if (warp == 0) {
    const int nWarps = (blockDim.x + 31) / 32;
    a = lane < nWarps ? warps[lane] : Acc{-INFINITY, 0.f, 0.f, 0.f, 0.f, 0};
    for (int offset = 16; offset > 0; offset >>= 1) a = mergeAcc(a, shuffleDown(a, offset));
    if (lane == 0) {
      const float logSum = logf(a.sum);
      stats[2 * row] = a.max;
      stats[2 * row + 1] = logSum;
      loss[row] = a.bad ? INFINITY : a.plogp - a.pz + (a.max + logSum) * a.psum;
    }
  }
}

template <typename scalar_t>
__global__ void klBackwardKernel(const scalar_t* __restrict__ z, const float* __restrict__ p,
                                 const float* __restrict__ stats, const float* __restrict__ g,
                                 scalar_t* __restrict__ out, int64_t V, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t r = i / V;
    const float q = __expf((static_cast<float>(z[i]) - stats[2 * r]) - stats[2 * r + 1]);
    out[i] = static_cast<scalar_t>((q - p[i]) * g[r]);
  }
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> klForwardCuda(const torch::Tensor& logitsIn, const torch::Tensor& targetIn,
                                                      int64_t group) {
  TORCH_CHECK(logitsIn.scalar_type() != torch::kFloat64, "kl: float64 logits are computed on the CPU path only");
  TORCH_CHECK(group >= 1 && targetIn.size(0) * group == logitsIn.size(0), "kl: target has ", targetIn.size(0),
              " rows for ", logitsIn.size(0), " logits rows in groups of ", group);
  c10::cuda::CUDAGuard guard(logitsIn.device());
  auto logits = logitsIn.contiguous();
  auto target = targetIn.to(torch::kFloat32).contiguous();
  const int64_t R = logits.size(0), V = logits.size(1);
  auto loss = torch::empty({R}, logits.options().dtype(torch::kFloat32));
  auto stats = torch::empty({R, 2}, logits.options().dtype(torch::kFloat32));
  if (R == 0) return {loss, stats};
  const int threads = V >= kThreads ? kThreads : ((V + 31) / 32) * 32;
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, logits.scalar_type(), "klForwardCuda", [&] {
    klForwardKernel<scalar_t><<<R, threads, 0, stream>>>(logits.data_ptr<scalar_t>(), target.data_ptr<float>(),
                                                         loss.data_ptr<float>(), stats.data_ptr<float>(), V, group);
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return {loss, stats};
}

torch::Tensor klBackwardCuda(const torch::Tensor& logitsIn, const torch::Tensor& targetIn, const torch::Tensor& stats,
                             const torch::Tensor& gradLoss) {
  c10::cuda::CUDAGuard guard(logitsIn.device());
  auto logits = logitsIn.contiguous();
  auto target = targetIn.to(torch::kFloat32).contiguous();
  auto g = gradLoss.to(torch::kFloat32).contiguous();
  auto statsC = stats.contiguous();
  auto grad = torch::empty_like(logits);
  const int64_t n = logits.numel();
  if (n == 0) return grad;
  const int threads = 256;
  const int64_t blocks = std::min<int64_t>((n + threads - 1) / threads, 65535LL * 8);
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, logits.scalar_type(), "klBackwardCuda", [&] {
    klBackwardKernel<scalar_t><<<blocks, threads, 0, stream>>>(logits.data_ptr<scalar_t>(), target.data_ptr<float>(),
                                                               statsC.data_ptr<float>(), g.data_ptr<float>(),
                                                               grad.data_ptr<scalar_t>(), logits.size(1), n);
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return grad;
}

}  // namespace dp::kernels
