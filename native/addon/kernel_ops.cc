// Placeholder until this area lands; replaced by its own issue's work.
#include "addon/registry.h"
namespace dp {
void RegisterKernelOps(Napi::Env env, Napi::Object exports) {}
}  // namespace dp
