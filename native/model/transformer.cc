#include "model/transformer.h"

#include <cmath>
#include <ATen/CPUGeneratorImpl.h>
#include <stdexcept>

namespace dp {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

torch::Tensor Norm::operator()(const torch::Tensor& x) const {
  if (!rms) return torch::layer_norm(x, {x.size(-1)}, w, b, eps);
  // As transformers' LlamaRMSNorm: normalise in float32, cast back, then scale.
  auto xf = x.to(torch::kFloat32);
  xf = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return w * xf.to(x.scalar_type());
}

// ---------------------------------------------------------------------------------------
// Checkpoint name maps. Each family: where its tensors live and the surgery they need to
// become [out, in] linears with a fused qkv (rows q | k | v) and a fused [gate; up].
// ---------------------------------------------------------------------------------------
namespace {

struct Loader {
  const ModelConfig& c;
  const WeightStore& s;
  torch::Tensor get(const std::string& n, std::vector<int64_t> shape) const { return s.get(n, shape); }
  torch::Tensor opt(const std::string& n, std::vector<int64_t> shape) const {
    return s.has(n) ? s.get(n, shape) : torch::Tensor();
  }
  int64_t d() const { return c.hiddenSize; }
  int64_t qkvRows() const { return (c.heads + 2 * c.kvHeads) * c.headDim; }
};

Norm norm(const Loader& L, const std::string& prefix, bool withBias) {
  Norm n;
  n.rms = L.c.norm == "rmsnorm";
  n.eps = L.c.normEps;
  n.w = L.get(prefix + ".weight", {L.d()});
  if (withBias) n.b = L.get(prefix + ".bias", {L.d()});
  return n;
}

// Reorder a Falcon fused qkv (any of its three layouts) into rows q | k | v.
torch::Tensor falconQkv(const ModelConfig& c, const torch::Tensor& w) {
  const int64_t h = c.heads, kv = c.kvHeads, hd = c.headDim;
  auto trailing = w.sizes().slice(1).vec();  // [d] for weights, [] for biases
  auto shaped = [&](std::vector<int64_t> lead) {
    lead.insert(lead.end(), trailing.begin(), trailing.end());
    return w.reshape(lead);
  };
  auto flat = [&](const torch::Tensor& t) {
    std::vector<int64_t> s{-1};
    s.insert(s.end(), trailing.begin(), trailing.end());
    return t.reshape(s);
  };
  if (c.qkvLayout == "falcon-mq") return w;  // already [q heads..., k, v]
  if (c.qkvLayout == "falcon-grouped") {
    // [kv, h/kv + 2, hd]: per group its queries, then one key, then one value.
    auto g = shaped({kv, h / kv + 2, hd});
    auto q = g.index({Slice(), Slice(0, h / kv)});
    auto k = g.index({Slice(), Slice(h / kv, h / kv + 1)});
    auto v = g.index({Slice(), Slice(h / kv + 1, h / kv + 2)});
    return torch::cat({flat(q), flat(k), flat(v)}, 0);
  }
  if (c.qkvLayout == "falcon-interleaved") {
    auto g = shaped({h, 3, hd});
    return torch::cat({flat(g.select(1, 0)), flat(g.select(1, 1)), flat(g.select(1, 2))}, 0);
  }
  throw std::runtime_error("falcon: unknown qkv layout " + c.qkvLayout);
}

void loadGpt2(const Loader& L, torch::Tensor& wte, torch::Tensor& wpe, std::vector<Block>& blocks, Norm& fin,
              torch::Tensor& head) {
  const auto& c = L.c;
  std::string p = L.s.has("transformer.wte.weight") ? "transformer." : "";
  const int64_t d = c.hiddenSize, I = c.intermediateSize;
  wte = L.get(p + "wte.weight", {c.vocabSize, d});
  wpe = L.get(p + "wpe.weight", {c.maxPositions, d});
  for (int64_t i = 0; i < c.layers; ++i) {
    std::string b = p + "h." + std::to_string(i) + ".";
    Block blk;
    blk.attnNorm = norm(L, b + "ln_1", true);
    blk.mlpNorm = norm(L, b + "ln_2", true);
    // Conv1D stores [in, out]: transpose once at load so every projection is a plain linear.
    blk.qkv = {L.get(b + "attn.c_attn.weight", {d, 3 * d}).t().contiguous(), L.get(b + "attn.c_attn.bias", {3 * d})};
    blk.out = {L.get(b + "attn.c_proj.weight", {d, d}).t().contiguous(), L.get(b + "attn.c_proj.bias", {d})};
    blk.up = {L.get(b + "mlp.c_fc.weight", {d, I}).t().contiguous(), L.get(b + "mlp.c_fc.bias", {I})};
    blk.down = {L.get(b + "mlp.c_proj.weight", {I, d}).t().contiguous(), L.get(b + "mlp.c_proj.bias", {d})};
    blocks.push_back(std::move(blk));
  }
  fin = norm(L, p + "ln_f", true);
  head = c.tiedEmbeddings ? wte : L.get("lm_head.weight", {c.vocabSize, d});
}

void loadLlamaLike(const Loader& L, torch::Tensor& wte, std::vector<Block>& blocks, Norm& fin, torch::Tensor& head) {
  const auto& c = L.c;
  const int64_t d = c.hiddenSize, I = c.intermediateSize, hd = c.headDim;
  wte = L.get("model.embed_tokens.weight", {c.vocabSize, d});
  for (int64_t i = 0; i < c.layers; ++i) {
    std::string b = "model.layers." + std::to_string(i) + ".";
    Block blk;
    blk.attnNorm = norm(L, b + "input_layernorm", false);
    blk.mlpNorm = norm(L, b + "post_attention_layernorm", false);
    auto q = L.get(b + "self_attn.q_proj.weight", {c.heads * hd, d});
    auto k = L.get(b + "self_attn.k_proj.weight", {c.kvHeads * hd, d});
    auto v = L.get(b + "self_attn.v_proj.weight", {c.kvHeads * hd, d});
    blk.qkv.w = torch::cat({q, k, v}, 0);
    if (c.qkvBias)
      blk.qkv.b = torch::cat({L.get(b + "self_attn.q_proj.bias", {c.heads * hd}),
                              L.get(b + "self_attn.k_proj.bias", {c.kvHeads * hd}),
                              L.get(b + "self_attn.v_proj.bias", {c.kvHeads * hd})});
    blk.out = {L.get(b + "self_attn.o_proj.weight", {d, c.heads * hd}),
               c.attnOutBias ? L.get(b + "self_attn.o_proj.bias", {d}) : torch::Tensor()};
    blk.up.w = torch::cat({L.get(b + "mlp.gate_proj.weight", {I, d}), L.get(b + "mlp.up_proj.weight", {I, d})}, 0);
    if (c.mlpBias) blk.up.b = torch::cat({L.get(b + "mlp.gate_proj.bias", {I}), L.get(b + "mlp.up_proj.bias", {I})});
    blk.down = {L.get(b + "mlp.down_proj.weight", {d, I}),
                c.mlpBias ? L.get(b + "mlp.down_proj.bias", {d}) : torch::Tensor()};
    blocks.push_back(std::move(blk));
  }
  fin = norm(L, "model.norm", false);
  head = (c.tiedEmbeddings && !L.s.has("lm_head.weight")) ? wte : L.get("lm_head.weight", {c.vocabSize, d});
}

void loadFalcon(const Loader& L, torch::Tensor& wte, std::vector<Block>& blocks, Norm& fin, torch::Tensor& head) {
  const auto& c = L.c;
  const int64_t d = c.hiddenSize, I = c.intermediateSize;
  wte = L.get("transformer.word_embeddings.weight", {c.vocabSize, d});
  for (int64_t i = 0; i < c.layers; ++i) {
    std::string b = "transformer.h." + std::to_string(i) + ".";
    Block blk;
    if (c.parallelBlock && c.blockNorms == 2) {
      blk.attnNorm = norm(L, b + "ln_attn", true);
      blk.mlpNorm = norm(L, b + "ln_mlp", true);
    } else {
      blk.attnNorm = norm(L, b + "input_layernorm", true);
      if (!c.parallelBlock) blk.mlpNorm = norm(L, b + "post_attention_layernorm", true);
    }
    blk.qkv.w = falconQkv(c, L.get(b + "self_attention.query_key_value.weight", {L.qkvRows(), d}));
    if (c.qkvBias) blk.qkv.b = falconQkv(c, L.get(b + "self_attention.query_key_value.bias", {L.qkvRows()}));
    blk.out = {L.get(b + "self_attention.dense.weight", {d, d}),
               c.attnOutBias ? L.get(b + "self_attention.dense.bias", {d}) : torch::Tensor()};
    blk.up = {L.get(b + "mlp.dense_h_to_4h.weight", {I, d}),
              c.mlpBias ? L.get(b + "mlp.dense_h_to_4h.bias", {I}) : torch::Tensor()};
    blk.down = {L.get(b + "mlp.dense_4h_to_h.weight", {d, I}),
                c.mlpBias ? L.get(b + "mlp.dense_4h_to_h.bias", {d}) : torch::Tensor()};
    blocks.push_back(std::move(blk));
  }
  fin = norm(L, "transformer.ln_f", true);
  head = L.s.has("lm_head.weight") ? L.get("lm_head.weight", {c.vocabSize, d}) : wte;
}

}  // namespace

Transformer::Transformer(const ModelConfig& cfg, const WeightStore& store, torch::Device device,
                         torch::ScalarType dtype)
    : cfg_(cfg), device_(device), dtype_(dtype) {
  validate();
  Loader L{cfg_, store};
  if (cfg_.family == "gpt2")
    loadGpt2(L, wte_, wpe_, blocks_, finalNorm_, head_);
  else if (cfg_.family == "llama" || cfg_.family == "qwen2")
    loadLlamaLike(L, wte_, blocks_, finalNorm_, head_);
  else if (cfg_.family == "falcon")
    loadFalcon(L, wte_, blocks_, finalNorm_, head_);
  else
    throw std::runtime_error("unknown model family '" + cfg_.family + "' (supported: gpt2, llama, qwen2, falcon)");
  finish();
}

// Seeded random weights with the family's shapes (the study's randomly initialised baselines,
// and full-size benchmarks without a download). Drawn on the CPU from a private generator, one
// tensor at a time, then moved: the same seed gives the same weights on every device, and no
// global generator is touched (or locked) by a worker thread.
Transformer::Transformer(const ModelConfig& cfg, uint64_t seed, torch::Device device, torch::ScalarType dtype)
    : cfg_(cfg), device_(device), dtype_(dtype) {
  validate();
  auto gen = at::detail::createCPUGenerator(seed);
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const double std = cfg_.initStd;
  auto normal = [&](std::vector<int64_t> shape, double s) {
    return torch::randn(shape, gen, opts).mul_(s).to(device, dtype);
  };
  auto ones = [&](int64_t n) { return torch::ones({n}, opts.dtype(dtype).device(device)); };
  auto zeros = [&](int64_t n) { return torch::zeros({n}, opts.dtype(dtype).device(device)); };
  const int64_t d = cfg_.hiddenSize, I = cfg_.intermediateSize, hd = cfg_.headDim;
  const bool ln = cfg_.norm == "layernorm";
  const bool gpt2 = cfg_.family == "gpt2";
  auto makeNorm = [&]() {
    Norm n;
    n.rms = !ln;
    n.eps = cfg_.normEps;
    n.w = ones(d);
    if (ln) n.b = zeros(d);
    return n;
  };
  // GPT-2's residual projections are scaled by 1/sqrt(2·layers), as its initialiser does.
  double resid = gpt2 ? std / std::sqrt(2.0 * cfg_.layers) : std;
  wte_ = normal({cfg_.vocabSize, d}, std);
  if (cfg_.position == "learned") wpe_ = normal({cfg_.maxPositions, d}, std / 2);
  for (int64_t i = 0; i < cfg_.layers; ++i) {
    Block b;
    b.attnNorm = makeNorm();
    b.mlpNorm = makeNorm();
    int64_t qkvRows = (cfg_.heads + 2 * cfg_.kvHeads) * hd;
    b.qkv = {normal({qkvRows, d}, std), cfg_.qkvBias ? zeros(qkvRows) : torch::Tensor()};
    b.out = {normal({d, cfg_.heads * hd}, resid), cfg_.attnOutBias ? zeros(d) : torch::Tensor()};
    int64_t upRows = cfg_.gatedMlp ? 2 * I : I;
    b.up = {normal({upRows, d}, std), cfg_.mlpBias ? zeros(upRows) : torch::Tensor()};
    b.down = {normal({d, I}, resid), cfg_.mlpBias ? zeros(d) : torch::Tensor()};
    blocks_.push_back(std::move(b));
  }
  finalNorm_ = makeNorm();
  head_ = cfg_.tiedEmbeddings ? wte_ : normal({cfg_.vocabSize, d}, std);
  finish();
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

void Transformer::finish() {
  torch::NoGradGuard ng;
  auto mv = [&](torch::Tensor& t) {
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
    }
    for (auto* l : {&b.qkv, &b.out, &b.up, &b.down}) {
      mv(l->w);
      mv(l->b);
    }
  }
  mv(finalNorm_.w);
  mv(finalNorm_.b);
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

std::pair<torch::Tensor, torch::Tensor> Transformer::ropeTables(const torch::Tensor& pos) const {
  // [rows, positions, hd/2] angles in float32, duplicated to hd as rotate_half expects.
  auto freqs = pos.to(torch::kFloat32).unsqueeze(-1) * invFreq_;
  auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);  // [rows, 1, positions, hd]
  return {emb.cos().to(dtype_), emb.sin().to(dtype_)};
}

static torch::Tensor rotateHalf(const torch::Tensor& x) {
  auto h = x.size(-1) / 2;
  return torch::cat({-x.index({"...", Slice(h, torch::indexing::None)}), x.index({"...", Slice(0, h)})}, -1);
}

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
// query is computed (the last block needs nothing else).
torch::Tensor Transformer::attention(const Block& b, int64_t layer, const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, bool lastOnly) const {
  const int64_t R = x.size(0), P = x.size(1), h = cfg_.heads, kv = cfg_.kvHeads, hd = cfg_.headDim;
  auto qkv = b.qkv(x);
  auto q = qkv.narrow(-1, 0, h * hd).view({R, P, h, hd}).transpose(1, 2);  // (rows, heads, positions, hd)
  auto k = qkv.narrow(-1, h * hd, kv * hd).view({R, P, kv, hd}).transpose(1, 2);
  auto v = qkv.narrow(-1, (h + kv) * hd, kv * hd).view({R, P, kv, hd}).transpose(1, 2);
  if (cos.defined()) {
    q = q * cos + rotateHalf(q) * sin;
    k = k * cos + rotateHalf(k) * sin;
  }
  if (kv != h) {  // grouped / multi-query: each kv head serves h/kv consecutive query heads
    k = k.unsqueeze(2).expand({R, kv, h / kv, P, hd}).reshape({R, h, P, hd});
    v = v.unsqueeze(2).expand({R, kv, h / kv, P, hd}).reshape({R, h, P, hd});
  }
  if (cfg_.scaleAttnByInverseLayerIdx) q = q / static_cast<double>(layer + 1);
  bool causal = true;
  if (lastOnly) {
    q = q.narrow(2, P - 1, 1);  // the last query sees every key: no mask needed
    causal = false;
  }
  auto o = at::scaled_dot_product_attention(q, k, v, {}, 0.0, causal);
  return b.out(o.transpose(1, 2).reshape({R, q.size(2), h * hd}));
}

torch::Tensor Transformer::embed(const torch::Tensor& ids) const {
  auto maxId = ids.numel() ? ids.max().item<int64_t>() : 0;
  auto minId = ids.numel() ? ids.min().item<int64_t>() : 0;
  if (minId < 0 || maxId >= cfg_.vocabSize)
    throw std::runtime_error("token id " + std::to_string(minId < 0 ? minId : maxId) +
                             " is outside the vocabulary [0, " + std::to_string(cfg_.vocabSize) + ")");
  return torch::embedding(wte_, ids.to(device_));
}

torch::Tensor Transformer::lastHidden(const torch::Tensor& embeds, const torch::Tensor& positionIds) const {
  const int64_t R = embeds.size(0), P = embeds.size(1);
  torch::Tensor pos =
      positionIds.defined()
          ? positionIds.to(device_)
          : torch::arange(P, torch::TensorOptions().dtype(torch::kInt64).device(device_)).unsqueeze(0).expand({R, P});
  auto x = embeds.to(dtype_);
  torch::Tensor cos, sin;
  if (cfg_.position == "learned") {
    // Default positions 0..P-1 are checked on the host: reading them back from the device
    // would be a synchronisation per forward (and is not allowed inside a CUDA graph).
    auto maxPos = positionIds.defined() ? pos.max().item<int64_t>() : P - 1;
    auto minPos = positionIds.defined() ? pos.min().item<int64_t>() : 0;
    if (maxPos >= cfg_.maxPositions || minPos < 0)
      // Name the value rejected: the smallest when one is negative, else the largest.
      throw std::runtime_error("position id " + std::to_string(minPos < 0 ? minPos : maxPos) +
                               " is outside the learned table [0, " + std::to_string(cfg_.maxPositions) + ")");
    x = x + torch::embedding(wpe_, pos);
  } else {
    std::tie(cos, sin) = ropeTables(pos);
  }
  for (int64_t i = 0; i < cfg_.layers; ++i) {
    const auto& b = blocks_[i];
    bool last = i == cfg_.layers - 1;
    auto a = attention(b, i, b.attnNorm(x), cos, sin, last);
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

int64_t Transformer::parameterCount() const {
  int64_t n = wte_.numel() + (wpe_.defined() ? wpe_.numel() : 0) + (head_.is_same(wte_) ? 0 : head_.numel());
  for (const auto& b : blocks_)
    for (const auto* l : {&b.qkv, &b.out, &b.up, &b.down}) n += l->w.numel() + (l->b.defined() ? l->b.numel() : 0);
  return n;
}

int64_t Transformer::parameterBytes() const { return parameterCount() * c10::elementSize(dtype_); }

}  // namespace dp
