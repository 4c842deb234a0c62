// Fused softmax-KL on the CPU (included by kl_cpu.cc and kl_cpu_avx2.cc).
//
// Forward, one read of z and p per row: the row is walked in chunks that fit in L1; each chunk
// gives its max, Σ exp(z − max) (a second, cached pass over the chunk), Σ p·z and Σ p·log p,
// and chunks merge as (max, sum) pairs — the online log-sum-exp without a branch per element.
// KL = Σ p log p − Σ p z + lse · Σ p. Backward, one more read: (exp(z − lse) − p) · g.
// The forward's second output holds (max, log-sum) per row for the backward.
// Rows run in parallel; with fewer rows than threads, each row's chunks do.
#pragma once
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <cmath>
#include <limits>

#include <torch/torch.h>

// Compiled once per instruction set (kl_cpu.cc: baseline; kl_cpu_avx2.cc: AVX2 + FMA), each
// copy in its own namespace; kl_cpu.cc picks one at run time.
namespace dp::kernels::DP_KL_VARIANT {

namespace {

constexpr int64_t kChunk = 2048;

template <typename acc_t>
struct Partial {
  acc_t max = -std::numeric_limits<acc_t>::infinity();
  acc_t sum = 0;    // Σ exp(z − max)
  acc_t pz = 0;     // Σ p·z over p > 0
  acc_t plogp = 0;  // Σ p·log p over p > 0
  acc_t psum = 0;   // Σ p
  bool massOnNegInf = false;

  void merge(const Partial& o) {
    if (o.max > max) {
      sum = (max == -std::numeric_limits<acc_t>::infinity() ? 0 : sum * std::exp(max - o.max)) + o.sum;
      max = o.max;
    } else if (o.max != -std::numeric_limits<acc_t>::infinity()) {
      sum += o.sum * std::exp(o.max - max);
    }
    pz += o.pz;
    plogp += o.plogp;
    psum += o.psum;
    massOnNegInf = massOnNegInf || o.massOnNegInf;
  }
};

// known: the target's Σ p·log p and Σ p are given (klTargetTerms), so only Σ p·z is summed here:
// the logarithm per element is the costliest part of the pass after the exponential.
template <typename scalar_t, typename acc_t, typename target_t, bool known = false>
Partial<acc_t> reduceRange(const scalar_t* z, const target_t* p, int64_t begin, int64_t end) {
  Partial<acc_t> total;
  for (int64_t c = begin; c < end; c += kChunk) {
    const int64_t e = std::min(end, c + kChunk);
    Partial<acc_t> part;
    acc_t m = -std::numeric_limits<acc_t>::infinity();
    for (int64_t v = c; v < e; ++v) m = std::max(m, static_cast<acc_t>(z[v]));
    acc_t s = 0, pz = 0, plogp = 0, ps = 0;
    bool bad = false;
    if (m != -std::numeric_limits<acc_t>::infinity()) {
      int64_t v = c;
      if constexpr (std::is_same_v<scalar_t, float>) {
        // The exponentials dominate: do them 8 or 16 at a time (AVX2 / AVX-512).
        using Vec = at::vec::Vectorized<float>;
        Vec acc(0.f), mv(static_cast<float>(m));
        for (; v + Vec::size() <= e; v += Vec::size()) acc = acc + (Vec::loadu(z + v) - mv).exp();
        float lanes[Vec::size()];
        acc.store(lanes);
        for (int64_t l = 0; l < Vec::size(); ++l) s += lanes[l];
      }
      for (; v < e; ++v) s += std::exp(static_cast<acc_t>(z[v]) - m);
    }
    int64_t v = c;
    if constexpr (std::is_same_v<scalar_t, float> && std::is_same_v<target_t, float>) {
      // Σ p·z, Σ p·log p, Σ p over p > 0, 8 or 16 at a time; masked so that p = 0 adds nothing.
      using Vec = at::vec::Vectorized<float>;
      const Vec zero(0.f);
      Vec pzA(0.f), plA(0.f), psA(0.f);
      for (; v + Vec::size() <= e; v += Vec::size()) {
        const Vec pv = Vec::loadu(p + v), zv = Vec::loadu(z + v);
        const Vec pos = pv > zero;
        pzA = pzA + pv * Vec::blendv(zero, zv, pos);
        if constexpr (!known) {
          plA = plA + pv * Vec::blendv(zero, pv.log(), pos);
          psA = psA + pv;
        }
      }
      float a[Vec::size()], b[Vec::size()], d[Vec::size()];
      pzA.store(a);
      plA.store(b);
      psA.store(d);
      for (int64_t l = 0; l < Vec::size(); ++l) pz += a[l], plogp += b[l], ps += d[l];
      if (!std::isfinite(pz)) {
        // Mass on a −inf logit (or an infinite logit): redo the chunk exactly, element by element.
        pz = plogp = ps = 0;
        v = c;
      }
    }
    for (; v < e; ++v) {
      const acc_t pv = p[v];
      if (pv > 0) {
        const acc_t zv = static_cast<acc_t>(z[v]);
        if (zv == -std::numeric_limits<acc_t>::infinity())
          bad = true;
        else
          pz += pv * zv;
        if constexpr (!known) {
          plogp += pv * std::log(pv);
          ps += pv;
        }
      }
    }
    part.max = m;
    part.sum = s;
    part.pz = pz;
    part.plogp = plogp;
    part.psum = ps;
    part.massOnNegInf = bad;
    total.merge(part);
  }
  return total;
}

// stats = (max, log Σ exp(z − max)): kept apart so that the backward's z − max is exact for
// huge logits (z ≈ lse ≈ 1e4 would lose the low bits of their difference in float32).
template <typename acc_t>
acc_t finish(const Partial<acc_t>& t, acc_t* stats) {
  stats[0] = t.max;
  stats[1] = std::log(t.sum);
  const acc_t lse = t.max + stats[1];
  if (t.massOnNegInf) return std::numeric_limits<acc_t>::infinity();
  return t.plogp - t.pz + lse * t.psum;
}

// float targets are read as float; double logits get double targets through a converted copy.
torch::Tensor targetFor(const torch::Tensor& target) { return target.to(torch::kFloat32).contiguous(); }

}  // namespace

// group > 1: target row r / group for logits row r (k candidates of one target, read in place).
std::pair<torch::Tensor, torch::Tensor> klForwardCpu(const torch::Tensor& logitsIn, const torch::Tensor& targetIn,
                                                     int64_t group, const torch::Tensor& termsIn) {
  TORCH_CHECK(group >= 1 && logitsIn.dim() == 2 && targetIn.dim() == 2 && targetIn.size(1) == logitsIn.size(1) &&
                  targetIn.size(0) * group == logitsIn.size(0),
              "kl: logits must be [rows, V] and target [rows / ", group, ", V]; got ", logitsIn.sizes(), " and ",
              targetIn.sizes());
  auto logits = logitsIn.contiguous();
  const int64_t R = logits.size(0), V = logits.size(1);
  const bool f64 = logits.scalar_type() == torch::kFloat64;
  auto outType = f64 ? torch::kFloat64 : torch::kFloat32;
  auto loss = torch::empty({R}, logits.options().dtype(outType));
  auto lse = torch::empty({R, 2}, logits.options().dtype(outType));
  // Targets in float64 keep float64 precision when the logits are float64.
  auto target64 = f64 ? targetIn.to(torch::kFloat64).contiguous() : torch::Tensor();
  auto target = f64 ? torch::Tensor() : targetFor(targetIn);
  // Per target row (Σ p·log p, Σ p), float64, or undefined: then summed here with Σ p·z.
  const bool known = termsIn.defined();
  TORCH_CHECK(!known || (termsIn.dim() == 2 && termsIn.size(0) == targetIn.size(0) && termsIn.size(1) == 2),
              "kl: target terms must be [target rows, 2], got ", termsIn.sizes());
  auto terms = known ? termsIn.to(torch::kFloat64).contiguous() : torch::Tensor();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, logits.scalar_type(), "klForwardCpu", [&] {
    using acc_t = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;
    const scalar_t* z = logits.data_ptr<scalar_t>();
    acc_t* out = loss.data_ptr<acc_t>();
    acc_t* outLse = lse.data_ptr<acc_t>();
    // float64 logits read float64 targets (the 1e-6 tolerance needs it); others read float32.
    auto rowReduce = [&](int64_t r, int64_t b, int64_t e) -> Partial<acc_t> {
      const int64_t t = (r / group) * V;
      if (f64) {
        const double* pr = target64.data_ptr<double>() + t;
        return known ? reduceRange<scalar_t, acc_t, double, true>(z + r * V, pr, b, e)
                     : reduceRange<scalar_t, acc_t, double>(z + r * V, pr, b, e);
      }
      const float* pr = target.data_ptr<float>() + t;
      return known ? reduceRange<scalar_t, acc_t, float, true>(z + r * V, pr, b, e)
                   : reduceRange<scalar_t, acc_t, float>(z + r * V, pr, b, e);
    };
    // The whole row's partial sums, with the given target terms in place of summed ones.
    auto withTerms = [&](Partial<acc_t> t, int64_t r) {
      if (known) {
        const double* k = terms.data_ptr<double>() + 2 * (r / group);
        t.plogp = static_cast<acc_t>(k[0]);
        t.psum = static_cast<acc_t>(k[1]);
      }
      return t;
    };
    const int threads = at::get_num_threads();
    if (R >= threads || V < 4 * kChunk) {
      at::parallel_for(0, R, 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) out[r] = finish(withTerms(rowReduce(r, 0, V), r), outLse + 2 * r);
      });
    } else {
      // Few rows, long rows: split each row's vocabulary over the threads.
      const int64_t chunks = (V + kChunk - 1) / kChunk;
      for (int64_t r = 0; r < R; ++r) {
        std::vector<Partial<acc_t>> parts(chunks);
        at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
          for (int64_t c = c0; c < c1; ++c) parts[c] = rowReduce(r, c * kChunk, std::min(V, (c + 1) * kChunk));
        });
        Partial<acc_t> t;
        for (auto& p : parts) t.merge(p);
        out[r] = finish(withTerms(t, r), outLse + 2 * r);
      }
    }
  });
  return {loss, lse};
}

torch::Tensor klBackwardCpu(const torch::Tensor& logitsIn, const torch::Tensor& targetIn, const torch::Tensor& lse,
                            const torch::Tensor& gradLoss) {
  auto logits = logitsIn.contiguous();
  const int64_t R = logits.size(0), V = logits.size(1);
  const bool f64 = logits.scalar_type() == torch::kFloat64;
  auto target = f64 ? targetIn.to(torch::kFloat64).contiguous() : targetFor(targetIn);
  auto g = gradLoss.to(f64 ? torch::kFloat64 : torch::kFloat32).contiguous();
  auto lseC = lse.contiguous();
  auto grad = torch::empty_like(logits);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, logits.scalar_type(), "klBackwardCpu", [&] {
    using acc_t = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;
    const scalar_t* z = logits.data_ptr<scalar_t>();
    const acc_t* p = target.data_ptr<acc_t>();
    const acc_t* l = lseC.data_ptr<acc_t>();
    const acc_t* gr = g.data_ptr<acc_t>();
    scalar_t* out = grad.data_ptr<scalar_t>();
    // Flat parallel range over rows × vocabulary: balanced whatever the shape.
    at::parallel_for(0, R * V, kChunk, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<scalar_t, float>) {
        // Row by row inside the range, vectorised: (exp((z − max) − logsum) − p) · g.
        using Vec = at::vec::Vectorized<float>;
        int64_t i = b;
        while (i < e) {
          const int64_t r = i / V, rowEnd = std::min(e, (r + 1) * V);
          const Vec mx(l[2 * r]), ls(l[2 * r + 1]), gv(gr[r]);
          for (; i + Vec::size() <= rowEnd; i += Vec::size()) {
            Vec d = ((Vec::loadu(z + i) - mx) - ls).exp() - Vec::loadu(p + i);
            (d * gv).store(out + i);
          }
          for (; i < rowEnd; ++i) out[i] = (std::exp((z[i] - l[2 * r]) - l[2 * r + 1]) - p[i]) * gr[r];
        }
        return;
      }
      for (int64_t i = b; i < e; ++i) {
        const int64_t r = i / V;
        const acc_t q = std::exp((static_cast<acc_t>(z[i]) - l[2 * r]) - l[2 * r + 1]);
        out[i] = static_cast<scalar_t>((q - p[i]) * gr[r]);
      }
    });
  });
  return grad;
}

}  // namespace dp::kernels::DP_KL_VARIANT
