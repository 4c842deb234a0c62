// The one configuration that drives the Transformer for every family (litgpt's idea).
// lib/model/config.ts maps each family's Hugging Face config.json onto it and validates it;
// this struct is the plain baton the worker sees.
#pragma once
#include <cstdint>
#include <string>

namespace dp {

struct RopeScaling {
  std::string type = "none";  // none | linear | llama3
  double factor = 1.0;
  double lowFreqFactor = 1.0;
  double highFreqFactor = 4.0;
  double originalMaxPositions = 8192;
};

struct ModelConfig {
  std::string family;  // gpt2 | llama | qwen2 | falcon
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  int64_t intermediateSize = 0;
  int64_t maxPositions = 0;
  std::string norm = "layernorm";  // layernorm | rmsnorm
  double normEps = 1e-5;
  std::string position = "learned";  // learned | rope
  double ropeTheta = 10000.0;
  RopeScaling ropeScaling;
  std::string activation = "gelu_new";  // gelu_new (tanh) | gelu (erf) | silu
  bool gatedMlp = false;                // SwiGLU: down(act(gate(x)) * up(x))
  bool parallelBlock = false;           // Falcon: x + attn(ln(x)) + mlp(ln(x))
  int64_t blockNorms = 2;               // parallel block: 1 shared norm (Falcon-7B) or 2 (ln_attn, ln_mlp)
  bool qkvBias = false;
  bool attnOutBias = false;
  bool mlpBias = false;
  bool tiedEmbeddings = true;
  bool scaleAttnByInverseLayerIdx = false;  // GPT-2 option
  double initStd = 0.02;                     // std of random:<preset> weights (HF initializer_range)
  // Checkpoint layout of the fused qkv weight, where the family has one:
  // "gpt2" ([d, 3d] Conv1D), "falcon-mq" ([h+2, hd]), "falcon-grouped" ([kv, h/kv+2, hd]),
  // "falcon-interleaved" ([h, 3, hd]); "separate" for q/k/v projections.
  std::string qkvLayout = "separate";
};

}  // namespace dp
