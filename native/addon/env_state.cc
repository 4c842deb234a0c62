#include "addon/env_state.h"

#include <algorithm>
#include <cstdlib>

#include "addon/registry.h"
#include "addon/uv_min.h"

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

bool StopFlags::anyLive() {
  std::lock_guard<std::mutex> lock(mu);
  return std::any_of(flags.begin(), flags.end(), [](const auto& w) { return !w.expired(); });
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
// from one. A worker ended by terminate() emits no 'exit': its watch (below) raises them.
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

// A worker thread ended by terminate() emits no 'exit', and Node waits for the calls still on
// the pool before it runs any addon cleanup hook: a running tune or head bound held terminate()
// until it ended (minutes). What does run during that wait is the thread's event loop. A prepare
// handle on it (unreferenced: it keeps no loop alive) sees, while stop flags live, whether the
// environment may still call into JavaScript: Node forbids that once terminate() or an exit has
// begun, and every N-API call that could run JavaScript then fails. The flags are raised then.
struct ExitWatch {
  uv_handle_t* handle;  // a uv_prepare_t, of uv_handle_size(UV_PREPARE) bytes
  napi_env env;
  std::shared_ptr<StopFlags> stops;
  napi_async_cleanup_hook_handle hook = nullptr;
};

bool canCallIntoJs(napi_env env) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value probe, value;
  // A plain object's missing key: no getter, so no JavaScript runs even when it may.
  bool ok = napi_create_object(env, &probe) == napi_ok &&
            napi_get_named_property(env, probe, "distprompt", &value) == napi_ok;
  napi_close_handle_scope(env, scope);
  return ok;
}

void watchForExit(Napi::Env env, const std::shared_ptr<StopFlags>& stops) {
  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return;
  auto* handle = static_cast<uv_handle_t*>(std::calloc(1, uv_handle_size(UV_PREPARE)));
  if (!handle || uv_prepare_init(loop, handle) != 0) {
    std::free(handle);  // no watch: a terminate() then waits for the running call, as before
    return;
  }
  auto* watch = new ExitWatch{handle, env, stops};
  handle->data = watch;
  uv_prepare_start(handle, [](uv_handle_t* h) {
    auto* w = static_cast<ExitWatch*>(h->data);
    if (w->stops->anyLive() && !canCallIntoJs(w->env)) w->stops->raiseAll();
  });
  uv_unref(handle);
  // Closed as the environment is torn down; Node waits for the close before it frees the loop.
  napi_add_async_cleanup_hook(
      env,
      [](napi_async_cleanup_hook_handle, void* arg) {
        uv_close(static_cast<ExitWatch*>(arg)->handle, [](uv_handle_t* h) {
          auto* w = static_cast<ExitWatch*>(h->data);
          napi_remove_async_cleanup_hook(w->hook);
          delete w;
          std::free(h);
        });
      },
      watch, &watch->hook);
}

}  // namespace

void initEnvState(Napi::Env env) {
  auto* state = new EnvState();
  env.SetInstanceData(state);  // deleted with the environment
  watchForExit(env, state->stops);
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
