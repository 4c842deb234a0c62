// CancelFlag: see cancel.h.
#include "addon/cancel.h"

#include <string>

#include "addon/env_state.h"
#include "addon/registry.h"

namespace dp {

namespace {

class CancelFlagWrap : public Napi::ObjectWrap<CancelFlagWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    auto fn = DefineClass(env, "CancelFlag",
                          {InstanceMethod("cancel", &CancelFlagWrap::Cancel),
                           InstanceAccessor("cancelled", &CancelFlagWrap::Cancelled, nullptr)});
    envState(env).cancelCtor = Napi::Persistent(fn);
    return fn;
  }
  explicit CancelFlagWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelFlagWrap>(info) {}
  std::shared_ptr<std::atomic<bool>> flag = std::make_shared<std::atomic<bool>>(false);

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    flag->store(true);
    return info.Env().Undefined();
  }
  Napi::Value Cancelled(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), flag->load()); }
};

}  // namespace

std::shared_ptr<std::atomic<bool>> cancelFlagOf(const Napi::Value& v, const char* what) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(envState(v.Env()).cancelCtor.Value()))
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a CancelFlag");
  return CancelFlagWrap::Unwrap(v.As<Napi::Object>())->flag;
}

void RegisterCancel(Napi::Env env, Napi::Object exports) { exports.Set("CancelFlag", CancelFlagWrap::Init(env)); }

}  // namespace dp
