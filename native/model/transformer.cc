#include "model/transformer.h"

#include "model/families.h"

#include <cmath>
#include <stdexcept>

namespace dp {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

torch::Tensor Norm::operator()(const torch::Tensor& x) const {
  if (!rms) return torch::layer_norm(x, {x.size(-1)}, w, b, eps);
  if (fused) return at::rms_norm(x, {x.size(-1)}, w, eps);
  // As transformers' LlamaRMSNorm: normalise in float32, cast back, then scale.
  auto xf = x.to(torch::kFloat32);
  xf = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return w * xf.to(x.scalar_type());
}

Transformer::Transformer(const ModelConfig& cfg, const WeightStore& store, torch::Device device,
                         torch::ScalarType dtype, std::optional<KernelChoice> kernels, LoadCancel cancel)
    : cfg_(cfg), device_(device), dtype_(dtype), kernels_(kernels.value_or(KernelChoice::defaultsFor(device))) {
  validate();
  adopt(loadFamily(cfg_, store, cancel), cancel);
}

Transformer::Transformer(const ModelConfig& cfg, uint64_t seed, torch::Device device, torch::ScalarType dtype,
                         std::optional<KernelChoice> kernels, LoadCancel cancel)
    : cfg_(cfg), device_(device), dtype_(dtype), kernels_(kernels.value_or(KernelChoice::defaultsFor(device))) {
  validate();
  adopt(randomTensors(cfg_, seed, device, dtype, cancel), cancel);
}

void Transformer::validate() const {
  const auto& c = cfg_;
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error("model config: " + what);
  };
  need(c.vocabSize > 0 && c.hiddenSize > 0 && c.layers > 0 && c.heads > 0, "sizes must be positive");
  need(c.kvHeads > 0 && c.heads % c.kvHeads == 0, "heads must be a multiple of kvHeads");
  need(c.headDim > 0 && c.headDim % 2 == 0, "headDim must be positive and even");
  need(c.intermediateSize > 0, "intermediateSize must be positive");
  need(c.norm == "layernorm" || c.norm == "rmsnorm", "norm must be layernorm or rmsnorm");
  need(c.position == "learned" || c.position == "rope", "position must be learned or rope");
  need(c.activation == "gelu_new" || c.activation == "gelu" || c.activation == "silu",
       "unknown activation " + c.activation);
  need(c.position != "learned" || c.maxPositions > 0, "learned positions need maxPositions");
}

void Transformer::adopt(ModelTensors t, LoadCancel cancel) {
  wte_ = std::move(t.wte);
  wpe_ = std::move(t.wpe);
  head_ = std::move(t.head);
  blocks_ = std::move(t.blocks);
  finalNorm_ = std::move(t.finalNorm);
  torch::NoGradGuard ng;
  auto mv = [&](torch::Tensor& t) {
    checkLoadCancel(cancel);
    if (t.defined()) t = t.to(device_, dtype_).contiguous();
  };
  bool tied = head_.defined() && wte_.defined() && head_.is_same(wte_);
  mv(wte_);
  mv(wpe_);
  if (tied)
    head_ = wte_;
  else
    mv(head_);
  for (auto& b : blocks_) {
    for (auto* n : {&b.attnNorm, &b.mlpNorm}) {
      mv(n->w);
      mv(n->b);
      n->fused = n->rms && kernels_.fusedRmsNorm;
    }
    for (auto* l : {&b.qkv, &b.out, &b.up, &b.down}) {
      mv(l->w);
      mv(l->b);
    }
  }
  mv(finalNorm_.w);
  mv(finalNorm_.b);
  finalNorm_.fused = finalNorm_.rms && kernels_.fusedRmsNorm;
  if (cfg_.position == "rope") {
    // inv_freq as transformers computes it (float32), with Llama 3's frequency rescaling.
    const int64_t hd = cfg_.headDim;
    auto exponents = torch::arange(0, hd, 2, torch::kInt64).to(torch::kFloat32) / static_cast<float>(hd);
    auto inv = 1.0 / torch::pow(torch::tensor(cfg_.ropeTheta, torch::kFloat32), exponents);
    const auto& rs = cfg_.ropeScaling;
    if (rs.type == "linear") {
      inv = inv / rs.factor;
    } else if (rs.type == "llama3") {
      double lowWavelen = rs.originalMaxPositions / rs.lowFreqFactor;
      double highWavelen = rs.originalMaxPositions / rs.highFreqFactor;
      auto wavelen = 2 * M_PI / inv;
      auto scaled = torch::where(wavelen > lowWavelen, inv / rs.factor, inv);
      auto smooth = (rs.originalMaxPositions / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
      auto smoothed = (1 - smooth) * scaled / rs.factor + smooth * scaled;
      auto medium = (wavelen >= highWavelen).logical_and(wavelen <= lowWavelen);
      inv = torch::where(medium, smoothed, scaled);
    } else if (rs.type != "none") {
      throw std::runtime_error("rope scaling '" + rs.type + "' is not supported (none, linear, llama3)");
    }
    invFreq_ = inv.to(torch::kFloat32).to(device_);
  }
}

// [rows, 1, positions, hd] cos and signed sin, in the model dtype. transformers rotates by
// x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] and both tables [f, f] (angles f
// duplicated); here the sign sits in the table, [-sin f, sin f], once per forward, so each
// layer's rotation is x·cos + [x2, x1]·sin: one flip instead of a negation and a concatenation
// for q and for k, bit for bit the same numbers ((-a)·b = a·(-b) exactly).
std::pair<torch::Tensor, torch::Tensor> Transformer::ropeTables(const torch::Tensor& pos) const {
  // The angles duplicated before cos and sin, as transformers computes them (so every table
  // entry is the same float as theirs), then the sign put on sin's first half.
  auto freqs = pos.to(torch::kFloat32).unsqueeze(-1) * invFreq_;
  auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);  // [rows, 1, positions, hd]
  auto sin = emb.sin();
  const int64_t h = sin.size(-1) / 2;
  return {emb.cos().to(dtype_), torch::cat({-sin.narrow(-1, 0, h), sin.narrow(-1, h, h)}, -1).to(dtype_)};
}

// [x1, x2] -> [x2, x1] along the last dimension (head_dim).
static torch::Tensor swapHalves(const torch::Tensor& x) { return x.unflatten(-1, {2, -1}).flip({-2}).flatten(-2); }

torch::Tensor Transformer::activation(const torch::Tensor& x) const {
  if (cfg_.activation == "gelu_new") return torch::gelu(x, "tanh");
  if (cfg_.activation == "gelu") return torch::gelu(x);
  return torch::silu(x);
}

torch::Tensor Transformer::mlp(const Block& b, const torch::Tensor& x) const {
  if (!cfg_.gatedMlp) return b.down(activation(b.up(x)));
  auto gu = b.up(x).chunk(2, -1);
  return b.down(activation(gu[0]) * gu[1]);
}

// x [rows, positions, d] -> [rows, positions or 1, d]. With lastOnly only the last position's
// query is computed (the last block needs nothing else). With `past`, x holds the positions
// after past's, which its keys and values precede.
torch::Tensor Transformer::attention(const Block& b, int64_t layer, const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, bool lastOnly, const KvCache* past,
                                     KvCache* keep) const {
  const int64_t R = x.size(0), P = x.size(1), h = cfg_.heads, kv = cfg_.kvHeads, hd = cfg_.headDim;
  auto qkv = b.qkv(x);
  auto q = qkv.narrow(-1, 0, h * hd).view({R, P, h, hd}).transpose(1, 2);  // (rows, heads, positions, hd)
  auto k = qkv.narrow(-1, h * hd, kv * hd).view({R, P, kv, hd}).transpose(1, 2);
  auto v = qkv.narrow(-1, (h + kv) * hd, kv * hd).view({R, P, kv, hd}).transpose(1, 2);
  if (cos.defined()) {
    q = q * cos + swapHalves(q) * sin;
    k = k * cos + swapHalves(k) * sin;
  }
  const int64_t before = past ? past->length() : 0;
  if (before > 0) {
    k = torch::cat({past->k[layer], k}, 2);
    v = torch::cat({past->v[layer], v}, 2);
  }
  if (keep) {
    keep->k.push_back(k);
    keep->v.push_back(v);
  }
  const int64_t S = before + P;  // keys
  const bool grouped = kv != h && kernels_.groupedAttention;
  if (kv != h && !grouped) {  // grouped / multi-query: each kv head serves h/kv consecutive query heads
    k = k.unsqueeze(2).expand({R, kv, h / kv, S, hd}).reshape({R, h, S, hd});
    v = v.unsqueeze(2).expand({R, kv, h / kv, S, hd}).reshape({R, h, S, hd});
  }
  if (cfg_.scaleAttnByInverseLayerIdx) q = q / static_cast<double>(layer + 1);
  bool causal = true;
  torch::Tensor mask;
  if (lastOnly) {
    q = q.narrow(2, P - 1, 1);  // the last query sees every key: no mask needed
    causal = false;
  } else if (before > 0 && P == 1) {
    causal = false;  // one query, after every key
  } else if (before > 0) {
    // Query i sits at position before + i and sees keys 0 .. before + i (SDPA's own causal
    // mask is aligned to the first key, not the last).
    auto opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
    mask = torch::arange(S, opts).view({1, S}) <= (torch::arange(P, opts) + before).view({P, 1});
    causal = false;
  }
  auto o = mask.defined() ? at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, std::nullopt, grouped)
                          : at::scaled_dot_product_attention(q, k, v, {}, 0.0, causal, std::nullopt, grouped);
  return b.out(o.transpose(1, 2).reshape({R, q.size(2), h * hd}));
}

torch::Tensor Transformer::embed(const torch::Tensor& ids) const {
  auto maxId = ids.numel() ? ids.max().item<int64_t>() : 0;
  auto minId = ids.numel() ? ids.min().item<int64_t>() : 0;
  if (minId < 0 || maxId >= cfg_.vocabSize)
    throw std::runtime_error("token id " + std::to_string(minId < 0 ? minId : maxId) +
                             " is outside the vocabulary [0, " + std::to_string(cfg_.vocabSize) + ")");
  return embedUnchecked(ids);
}

torch::Tensor Transformer::embedUnchecked(const torch::Tensor& ids) const {
  return torch::embedding(wte_, ids.to(device_));
}

torch::Tensor Transformer::lastHidden(const torch::Tensor& embeds, const torch::Tensor& positionIds) const {
  return forward(embeds, positionIds, nullptr, nullptr);
}

torch::Tensor Transformer::lastHiddenAfter(const torch::Tensor& embeds, const KvCache& past, KvCache* keep) const {
  if (!past.k.empty() && static_cast<int64_t>(past.k.size()) != cfg_.layers)
    throw std::runtime_error("lastHiddenAfter: the cache holds " + std::to_string(past.k.size()) +
                             " layers, the model " + std::to_string(cfg_.layers));
  return forward(embeds, {}, &past, keep);
}

torch::Tensor Transformer::forward(const torch::Tensor& embeds, const torch::Tensor& positionIds, const KvCache* past,
                                   KvCache* keep) const {
  const int64_t R = embeds.size(0), P = embeds.size(1);
  const int64_t first = past ? past->length() : 0;  // position of embeds' first row
  torch::Tensor pos = positionIds.defined()
                          ? positionIds.to(device_)
                          : torch::arange(first, first + P, torch::TensorOptions().dtype(torch::kInt64).device(device_))
                                .unsqueeze(0)
                                .expand({R, P});
  auto x = embeds.to(dtype_);
  torch::Tensor cos, sin;
  if (cfg_.position == "learned") {
    // Default positions are checked on the host: reading them back from the device would be
    // a synchronisation per forward (and is not allowed inside a CUDA graph).
    auto maxPos = positionIds.defined() ? pos.max().item<int64_t>() : first + P - 1;
    auto minPos = positionIds.defined() ? pos.min().item<int64_t>() : first;
    if (maxPos >= cfg_.maxPositions || minPos < 0)
      // Name the value rejected: the smallest when one is negative, else the largest.
      throw std::runtime_error("position id " + std::to_string(minPos < 0 ? minPos : maxPos) +
                               " is outside the learned table [0, " + std::to_string(cfg_.maxPositions) + ")");
    x = x + torch::embedding(wpe_, pos);
  } else {
    std::tie(cos, sin) = ropeTables(pos);
  }
  if (keep) *keep = KvCache{};
  for (int64_t i = 0; i < cfg_.layers; ++i) {
    const auto& b = blocks_[i];
    bool last = i == cfg_.layers - 1;
    auto a = attention(b, i, b.attnNorm(x), cos, sin, last, past, keep);
    auto xr = last ? x.narrow(1, P - 1, 1) : x;
    if (cfg_.parallelBlock) {
      // x ─┬─ norm_a ─ attn ─┐
      //    ├─ norm_m ─ mlp  ─┼─ + ─> out     (Falcon: one shared norm when blockNorms == 1)
      //    └─────────────────┘
      auto mIn = cfg_.blockNorms == 1 ? b.attnNorm(xr) : b.mlpNorm(xr);
      x = xr + a + mlp(b, mIn);
    } else {
      // x ─ norm ─ attn ─ + ─ norm ─ mlp ─ + ─> out
      x = xr + a;
      x = x + mlp(b, b.mlpNorm(x));
    }
  }
  return finalNorm_(x.select(1, x.size(1) - 1));
}

KvCache KvCache::repeatEach(int64_t times) const {
  if (times == 1) return *this;  // read-only downstream: share the tensors instead of copying them
  KvCache out;
  for (const auto& t : k) out.k.push_back(t.repeat_interleave(times, 0));
  for (const auto& t : v) out.v.push_back(t.repeat_interleave(times, 0));
  return out;
}

KvCache KvCache::expandTo(int64_t rows) const {
  KvCache out;
  for (const auto& t : k) out.k.push_back(t.expand({rows, -1, -1, -1}));
  for (const auto& t : v) out.v.push_back(t.expand({rows, -1, -1, -1}));
  return out;
}

int64_t Transformer::parameterCount() const {
  auto count = [](const torch::Tensor& t) { return t.defined() ? t.numel() : int64_t{0}; };
  auto norm = [&](const Norm& n) { return count(n.w) + count(n.b); };
  int64_t n = wte_.numel() + count(wpe_) + (head_.is_same(wte_) ? 0 : head_.numel()) + norm(finalNorm_);
  // A parallel block with one shared norm reads only attnNorm (Falcon-7B).
  const bool oneNorm = cfg_.parallelBlock && cfg_.blockNorms == 1;
  for (const auto& b : blocks_) {
    for (const auto* l : {&b.qkv, &b.out, &b.up, &b.down}) n += count(l->w) + count(l->b);
    n += norm(b.attnNorm) + (oneNorm ? 0 : norm(b.mlpNorm));
  }
  return n;
}

int64_t Transformer::parameterBytes() const { return parameterCount() * c10::elementSize(dtype_); }

}  // namespace dp
