#include "model/families.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>

namespace dp {

using torch::indexing::Slice;

// ---------------------------------------------------------------------------------------
// Checkpoint name maps. Each family: where its tensors live and the surgery they need to
// become [out, in] linears with a fused qkv (rows q | k | v) and a fused [gate; up].
// ---------------------------------------------------------------------------------------
namespace {

struct Loader {
  const ModelConfig& c;
  const WeightStore& s;
  LoadCancel cancel;
  torch::Tensor get(const std::string& n, std::vector<int64_t> shape) const {
    checkLoadCancel(cancel);
    return s.get(n, shape);
  }
  torch::Tensor opt(const std::string& n, std::vector<int64_t> shape) const {
    return s.has(n) ? get(n, shape) : torch::Tensor();
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

ModelTensors loadGpt2(const Loader& L) {
  ModelTensors t;
  const auto& c = L.c;
  std::string p = L.s.has("transformer.wte.weight") ? "transformer." : "";
  const int64_t d = c.hiddenSize, I = c.intermediateSize;
  t.wte = L.get(p + "wte.weight", {c.vocabSize, d});
  t.wpe = L.get(p + "wpe.weight", {c.maxPositions, d});
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
    t.blocks.push_back(std::move(blk));
  }
  t.finalNorm = norm(L, p + "ln_f", true);
  t.head = c.tiedEmbeddings ? t.wte : L.get("lm_head.weight", {c.vocabSize, d});
  return t;
}

ModelTensors loadLlamaLike(const Loader& L) {
  ModelTensors t;
  const auto& c = L.c;
  const int64_t d = c.hiddenSize, I = c.intermediateSize, hd = c.headDim;
  t.wte = L.get("model.embed_tokens.weight", {c.vocabSize, d});
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
    t.blocks.push_back(std::move(blk));
  }
  t.finalNorm = norm(L, "model.norm", false);
  t.head = (c.tiedEmbeddings && !L.s.has("lm_head.weight")) ? t.wte : L.get("lm_head.weight", {c.vocabSize, d});
  return t;
}

ModelTensors loadFalcon(const Loader& L) {
  ModelTensors t;
  const auto& c = L.c;
  const int64_t d = c.hiddenSize, I = c.intermediateSize;
  t.wte = L.get("transformer.word_embeddings.weight", {c.vocabSize, d});
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
    t.blocks.push_back(std::move(blk));
  }
  t.finalNorm = norm(L, "transformer.ln_f", true);
  t.head = L.s.has("lm_head.weight") ? L.get("lm_head.weight", {c.vocabSize, d}) : t.wte;
  return t;
}

}  // namespace

ModelTensors loadFamily(const ModelConfig& cfg, const WeightStore& store, LoadCancel cancel) {
  Loader L{cfg, store, cancel};
  if (cfg.family == "gpt2") return loadGpt2(L);
  if (cfg.family == "llama" || cfg.family == "qwen2") return loadLlamaLike(L);
  if (cfg.family == "falcon") return loadFalcon(L);
  throw std::runtime_error("unknown model family '" + cfg.family + "' (supported: gpt2, llama, qwen2, falcon)");
}

// Seeded random weights with the family's shapes (the study's randomly initialised baselines,
// and full-size benchmarks without a download). Drawn on the CPU from a private generator, one
// tensor at a time, then moved: the same seed gives the same weights on every device, and no
// global generator is touched (or locked) by a worker thread.
ModelTensors randomTensors(const ModelConfig& cfg, uint64_t seed, torch::Device device, torch::ScalarType dtype,
                           LoadCancel cancel) {
  ModelTensors t;
  auto gen = at::detail::createCPUGenerator(seed);
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const double std = cfg.initStd;
  auto normal = [&](std::vector<int64_t> shape, double s) {
    checkLoadCancel(cancel);
    return torch::randn(shape, gen, opts).mul_(s).to(device, dtype);
  };
  auto ones = [&](int64_t n) { return torch::ones({n}, opts.dtype(dtype).device(device)); };
  auto zeros = [&](int64_t n) { return torch::zeros({n}, opts.dtype(dtype).device(device)); };
  const int64_t d = cfg.hiddenSize, I = cfg.intermediateSize, hd = cfg.headDim;
  const bool ln = cfg.norm == "layernorm";
  const bool gpt2 = cfg.family == "gpt2";
  auto makeNorm = [&]() {
    Norm n;
    n.rms = !ln;
    n.eps = cfg.normEps;
    n.w = ones(d);
    if (ln) n.b = zeros(d);
    return n;
  };
  // GPT-2's residual projections are scaled by 1/sqrt(2·layers), as its initialiser does.
  double resid = gpt2 ? std / std::sqrt(2.0 * cfg.layers) : std;
  t.wte = normal({cfg.vocabSize, d}, std);
  // Every embedding at initializer_range, as Hugging Face's GPT-2 initialiser draws them.
  if (cfg.position == "learned") t.wpe = normal({cfg.maxPositions, d}, std);
  for (int64_t i = 0; i < cfg.layers; ++i) {
    Block b;
    b.attnNorm = makeNorm();
    b.mlpNorm = makeNorm();
    int64_t qkvRows = (cfg.heads + 2 * cfg.kvHeads) * hd;
    b.qkv = {normal({qkvRows, d}, std), cfg.qkvBias ? zeros(qkvRows) : torch::Tensor()};
    b.out = {normal({d, cfg.heads * hd}, resid), cfg.attnOutBias ? zeros(d) : torch::Tensor()};
    int64_t upRows = cfg.gatedMlp ? 2 * I : I;
    b.up = {normal({upRows, d}, std), cfg.mlpBias ? zeros(upRows) : torch::Tensor()};
    b.down = {normal({d, I}, resid), cfg.mlpBias ? zeros(d) : torch::Tensor()};
    t.blocks.push_back(std::move(b));
  }
  t.finalNorm = makeNorm();
  t.head = cfg.tiedEmbeddings ? t.wte : normal({cfg.vocabSize, d}, std);
  return t;
}

}  // namespace dp
