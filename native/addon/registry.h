// Each native area registers its exports here; addon.cc calls them all at load.
// Keeping one function per area lets kernels, targets and the tuner live in their own files.
#pragma once
#include <napi.h>

namespace dp {
void RegisterBuildInfo(Napi::Env env, Napi::Object exports);
void RegisterModel(Napi::Env env, Napi::Object exports);
void RegisterKernelOps(Napi::Env env, Napi::Object exports);
void RegisterTargetOps(Napi::Env env, Napi::Object exports);
void RegisterTuner(Napi::Env env, Napi::Object exports);
void RegisterMemoryOps(Napi::Env env, Napi::Object exports);
void RegisterBoundOps(Napi::Env env, Napi::Object exports);
void RegisterProfileOps(Napi::Env env, Napi::Object exports);
void RegisterCancel(Napi::Env env, Napi::Object exports);
void RegisterEnvState(Napi::Env env, Napi::Object exports);
void setConfiguredThreads(int n);
}  // namespace dp
