// Module entry: one place that lists every area of the native API.
#include <napi.h>

#include "addon/env_state.h"
#include "addon/registry.h"
#include "addon/tensor_handle.h"

namespace dp {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  initEnvState(env);  // first: the classes below keep their constructors there
  RegisterEnvState(env, exports);
  exports.Set("NativeTensor", TensorHandle::Init(env));
  exports.Set("tensorFromArray", Napi::Function::New(env, TensorFromArray));
  exports.Set("uploadTensor", Napi::Function::New(env, UploadTensor));
  // First: every tensor after this point comes from the caching CPU allocator.
  RegisterMemoryOps(env, exports);
  RegisterBuildInfo(env, exports);
  RegisterModel(env, exports);
  RegisterKernelOps(env, exports);
  RegisterTargetOps(env, exports);
  RegisterTuner(env, exports);
  RegisterBoundOps(env, exports);
  RegisterProfileOps(env, exports);
  RegisterCancel(env, exports);
  return exports;
}

}  // namespace dp

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return dp::Init(env, exports); }
NODE_API_MODULE(distprompt, InitAll)
