// Where an epoch's time goes, for bench/ only: profileStart() adds a global RecordFunction
// observer (every libtorch op, on every thread, the tuner's worker threads included) and
// profileStop() removes it and returns each op's calls and self time, split by phase: the
// forward (grad mode on), the backward (inside an autograd node) and the rest (no grad: HotFlip,
// AdamW, the tuner's bookkeeping). Self time excludes the ops an op calls, so the parts add up to
// the wall time of the ops. On CUDA, ops are asynchronous: with syncCuda each op waits for the
// device at its end, so its time is its kernels' (the epoch runs slower, the split is honest);
// without it the times are the host's launch costs.
#include <ATen/record_function.h>
#include <napi.h>
#include <torch/torch.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#ifdef DP_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

#include "addon/registry.h"

namespace dp {

namespace {

using Clock = std::chrono::steady_clock;

struct OpStats {
  int64_t calls = 0;
  double selfSeconds = 0;
  double totalSeconds = 0;
};

struct Frame {
  Clock::time_point start;
  double childSeconds = 0;
  int phase = 0;
};

// 0 forward, 1 backward, 2 no grad (update, bookkeeping)
const char* const kPhases[] = {"forward", "backward", "other"};

std::mutex gMu;
std::map<std::pair<std::string, int>, OpStats> gStats;
double gTopSeconds = 0;  // time inside outermost ops: the rest of a wall time ran in no op
bool gSyncCuda = false;
bool gActive = false;
at::CallbackHandle gHandle = 0;
thread_local std::vector<Frame> tStack;

struct Context : at::ObserverContext {};

std::unique_ptr<at::ObserverContext> onStart(const at::RecordFunction& fn) {
  Frame f;
  const bool backward = fn.scope() == at::RecordScope::BACKWARD_FUNCTION;
  const int parent = tStack.empty() ? -1 : tStack.back().phase;
  f.phase = backward || parent == 1 ? 1 : (parent == 0 || at::GradMode::is_enabled() ? 0 : 2);
  f.start = Clock::now();
  tStack.push_back(f);
  return std::make_unique<Context>();
}

void onEnd(const at::RecordFunction& fn, at::ObserverContext*) {
  if (tStack.empty()) return;  // began before profileStart
#ifdef DP_WITH_CUDA
  if (gSyncCuda && fn.scope() != at::RecordScope::BACKWARD_FUNCTION) c10::cuda::device_synchronize();
#endif
  Frame f = tStack.back();
  tStack.pop_back();
  const double total = std::chrono::duration<double>(Clock::now() - f.start).count();
  std::lock_guard<std::mutex> lock(gMu);
  if (!tStack.empty())
    tStack.back().childSeconds += total;
  else
    gTopSeconds += total;
  auto& s = gStats[{fn.name(), f.phase}];
  s.calls++;
  s.totalSeconds += total;
  s.selfSeconds += std::max(0.0, total - f.childSeconds);
}

// profileStart({ syncCuda?: boolean })
Napi::Value ProfileStart(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  std::lock_guard<std::mutex> lock(gMu);
  if (gActive) throw Napi::Error::New(env, "profileStart: a profile is already running; call profileStop first");
  gSyncCuda = false;
  if (info.Length() > 0 && info[0].IsObject()) {
    auto v = info[0].As<Napi::Object>().Get("syncCuda");
    if (!v.IsUndefined()) {
      if (!v.IsBoolean()) throw Napi::TypeError::New(env, "profileStart: syncCuda must be a boolean");
      gSyncCuda = v.As<Napi::Boolean>().Value();
    }
  }
  gStats.clear();
  gTopSeconds = 0;
  gHandle = at::addGlobalCallback(at::RecordFunctionCallback(&onStart, &onEnd).needsInputs(false));
  gActive = true;
  return env.Undefined();
}

// profileStop() → { ops: [{ name, phase, calls, selfSeconds, totalSeconds }] by self time, largest
// first; opSeconds: the time inside outermost ops }
Napi::Value ProfileStop(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  std::vector<std::pair<std::pair<std::string, int>, OpStats>> rows;
  double top = 0;
  {
    std::lock_guard<std::mutex> lock(gMu);
    if (!gActive) throw Napi::Error::New(env, "profileStop: no profile is running; call profileStart first");
    at::removeCallback(gHandle);
    gActive = false;
    rows.assign(gStats.begin(), gStats.end());
    gStats.clear();
    top = gTopSeconds;
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.selfSeconds > b.second.selfSeconds; });
  auto ops = Napi::Array::New(env, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto o = Napi::Object::New(env);
    o.Set("name", rows[i].first.first);
    o.Set("phase", kPhases[rows[i].first.second]);
    o.Set("calls", Napi::Number::New(env, static_cast<double>(rows[i].second.calls)));
    o.Set("selfSeconds", rows[i].second.selfSeconds);
    o.Set("totalSeconds", rows[i].second.totalSeconds);
    ops.Set(static_cast<uint32_t>(i), o);
  }
  auto out = Napi::Object::New(env);
  out.Set("ops", ops);
  out.Set("opSeconds", top);
  return out;
}

}  // namespace

void RegisterProfileOps(Napi::Env env, Napi::Object exports) {
  exports.Set("profileStart", Napi::Function::New(env, ProfileStart, "profileStart"));
  exports.Set("profileStop", Napi::Function::New(env, ProfileStop, "profileStop"));
}

}  // namespace dp
