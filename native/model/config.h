// The one configuration that drives the Transformer for every family (litgpt's idea).
// lib/model/config.ts maps each family's Hugging Face config.json onto it and validates it;
// this struct is the plain baton the worker sees. Its fields are declared once, in TypeScript
// (MODEL_CONFIG_FIELDS in lib/native/types-model.ts), and native/addon/model_wrap.cc requires
// every one of them, so nothing here carries a default that could disagree with TypeScript.
#pragma once
#include <cstdint>
#include <string>

namespace dp {

// Absent from a config means no scaling; the llama3 fields are read only for llama3.
struct RopeScaling {
  std::string type = "none";  // none | linear | llama3
  double factor = 1.0;
  double lowFreqFactor = 0, highFreqFactor = 0, originalMaxPositions = 0;  // llama3 only
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
  std::string norm;  // layernorm | rmsnorm
  double normEps = 0;
  std::string position;  // learned | rope
  double ropeTheta = 0;
  RopeScaling ropeScaling;
  std::string activation;      // gelu_new (tanh) | gelu (erf) | silu
  bool gatedMlp = false;       // SwiGLU: down(act(gate(x)) * up(x))
  bool parallelBlock = false;  // Falcon: x + attn(ln(x)) + mlp(ln(x))
  int64_t blockNorms = 0;      // parallel block: 1 shared norm (Falcon-7B) or 2 (ln_attn, ln_mlp)
  bool qkvBias = false;
  bool attnOutBias = false;
  bool mlpBias = false;
  bool tiedEmbeddings = false;
  bool scaleAttnByInverseLayerIdx = false;  // GPT-2 option
  double initStd = 0;                       // std of random:<preset> weights (HF initializer_range)
  // Checkpoint layout of the fused qkv weight, where the family has one:
  // "gpt2" ([d, 3d] Conv1D), "falcon-mq" ([h+2, hd]), "falcon-grouped" ([kv, h/kv+2, hd]),
  // "falcon-interleaved" ([h, 3, hd]); "separate" for q/k/v projections.
  std::string qkvLayout;
};

}  // namespace dp
