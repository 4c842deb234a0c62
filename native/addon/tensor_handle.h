// An opaque handle on a device-resident tensor (targets, prompts): TypeScript holds it,
// native calls take it, numbers are copied out only on toArray().
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <atomic>

namespace dp {

class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, torch::Tensor t);
  // The tensor behind a JS value, or throws a TypeError naming `what`.
  static torch::Tensor TensorOf(const Napi::Value& v, const char* what);
  static bool Is(const Napi::Value& v);
  static int64_t Live() { return live_.load(); }

  explicit TensorHandle(const Napi::CallbackInfo& info);
  ~TensorHandle() override;

 private:
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value ToArray(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  void release(Napi::Env env);

  torch::Tensor tensor_;
  int64_t bytes_ = 0;
  bool disposed_ = false;
  static std::atomic<int64_t> live_;
};

Napi::Value TensorFromArray(const Napi::CallbackInfo& info);
Napi::Value UploadTensor(const Napi::CallbackInfo& info);

}  // namespace dp
