// What the addon keeps per JavaScript environment: the main thread and each worker thread that
// loads it get their own. Class constructors are V8 handles of one isolate, so they cannot be
// process-wide statics: a second thread loading the addon would replace the first's, and the
// first's next `new` would enter the other isolate (a V8 fatal error, the whole process gone).
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace dp {

// The stop flags of an environment's long native calls (tuner steps, head bounds). Node joins
// the pool's threads before the process exits, so a call still running held the exit for as
// long as it ran (a head bound: minutes). Raised when the environment exits (exiting(), from
// lib/native) or its worker thread is terminated (env_state.cc), each call stops at its next
// check instead.
struct StopFlags {
  std::mutex mu;
  std::vector<std::weak_ptr<std::atomic<bool>>> flags;
  bool ended = false;
  void add(const std::shared_ptr<std::atomic<bool>>& flag);
  void raiseAll();
  bool anyLive();  // a call that could be running: a tuner or a head bound still holds its flag
};

struct EnvState {
  Napi::FunctionReference tensorCtor, modelCtor, tunerCtor, cancelCtor;
  std::shared_ptr<StopFlags> stops = std::make_shared<StopFlags>();
};

// Made once per environment, at load (addon.cc), before any class is defined.
void initEnvState(Napi::Env env);
EnvState& envState(Napi::Env env);
// `flag` is raised when `env` exits, for as long as it lives.
void stopAtExit(Napi::Env env, const std::shared_ptr<std::atomic<bool>>& flag);

}  // namespace dp
