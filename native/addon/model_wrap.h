// The Model object TypeScript holds. Other native areas (tuner, targets, kernel ops) reach
// the Transformer through ModelWrap::Shared so that their workers pin it while they run.
#pragma once
#include <napi.h>

#include <memory>

#include "model/transformer.h"

namespace dp {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  static std::shared_ptr<const Transformer> Shared(const Napi::Value& v);
  explicit ModelWrap(const Napi::CallbackInfo& info);
  ~ModelWrap() override;

 private:
  std::shared_ptr<const Transformer> live(const Napi::Env& env) const;
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Logits(const Napi::CallbackInfo& info);
  Napi::Value Hidden(const Napi::CallbackInfo& info);
  Napi::Value Embed(const Napi::CallbackInfo& info);
  Napi::Value KlGradient(const Napi::CallbackInfo& info);
  Napi::Value EmbeddingStats(const Napi::CallbackInfo& info);
  Napi::Value Config(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<const Transformer> model_;
  int64_t externalBytes_ = 0;
  friend Napi::Value LoadModel(const Napi::CallbackInfo& info);
};

}  // namespace dp
