#include "addon/env_state.h"

#include <algorithm>

#include "addon/registry.h"

namespace dp {

namespace {

// Flags and environments end all the time: their expired entries go as new ones come.
template <typename T>
void dropExpired(std::vector<std::weak_ptr<T>>& v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](const auto& w) { return w.expired(); }), v.end());
}

}  // namespace

void StopFlags::add(const std::shared_ptr<std::atomic<bool>>& flag) {
  std::lock_guard<std::mutex> lock(mu);
  if (ended) flag->store(true);
  dropExpired(flags);
  flags.push_back(flag);
}

void StopFlags::raiseAll() {
  std::lock_guard<std::mutex> lock(mu);
  ended = true;
  for (auto& w : flags)
    if (auto f = w.lock()) f->store(true);
}

namespace {

// Every environment's flags, for the main thread's exit, which ends the worker threads too.
std::mutex everyMu;
std::vector<std::weak_ptr<StopFlags>>& every() {
  static auto* all = new std::vector<std::weak_ptr<StopFlags>>();  // never destroyed: read at exit
  return *all;
}

// exiting(everyThread): this environment is ending (everyThread: the process is): raise every
// stop flag, and those of any call made after. Node runs no addon hook before it waits for the
// pool at process.exit() or an uncaught exception, only 'exit' listeners: lib/native calls this
// from one. (A worker ended by terminate() emits no 'exit': its running call still runs out.)
Napi::Value Exiting(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].ToBoolean().Value()) {
    std::lock_guard<std::mutex> lock(everyMu);
    for (auto& w : every())
      if (auto s = w.lock()) s->raiseAll();
  } else {
    envState(info.Env()).stops->raiseAll();
  }
  return info.Env().Undefined();
}

}  // namespace

void initEnvState(Napi::Env env) {
  auto* state = new EnvState();
  env.SetInstanceData(state);  // deleted with the environment
  std::lock_guard<std::mutex> lock(everyMu);
  dropExpired(every());
  every().push_back(state->stops);
}

EnvState& envState(Napi::Env env) { return *env.GetInstanceData<EnvState>(); }

void stopAtExit(Napi::Env env, const std::shared_ptr<std::atomic<bool>>& flag) { envState(env).stops->add(flag); }

void RegisterEnvState(Napi::Env env, Napi::Object exports) {
  exports.Set("exiting", Napi::Function::New(env, Exiting));
}

}  // namespace dp
