// Placeholder until this area lands; replaced by its own issue's work.
#include "addon/registry.h"
namespace dp {
void RegisterTargetOps(Napi::Env env, Napi::Object exports) {}
}  // namespace dp
