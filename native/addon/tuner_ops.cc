// N-API face of the batched tuner (native/tune/tuner.h). TypeScript (lib/tune) schedules rows;
// each call here runs on a worker thread and one tuner never runs two calls at once (a mutex
// makes that a guarantee rather than a convention).
#include <mutex>

#include "addon/common.h"
#include "addon/env_state.h"
#include "addon/model_wrap.h"
#include "addon/registry.h"
#include "addon/targets_from.h"
#include "tune/tuner.h"

namespace dp {

namespace {

struct TunerBox {
  std::unique_ptr<Tuner> tuner;
  std::shared_ptr<const Transformer> model;
  std::mutex mu;
  std::atomic<bool> abort{false};
};

std::vector<int64_t> intList(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
}

class TunerWrap : public Napi::ObjectWrap<TunerWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    auto fn = DefineClass(env, "NativeTuner",
                          {InstanceMethod("load", &TunerWrap::Load), InstanceMethod("step", &TunerWrap::Step),
                           InstanceMethod("harvest", &TunerWrap::HarvestRows),
                           InstanceMethod("abort", &TunerWrap::Abort), InstanceMethod("dispose", &TunerWrap::Dispose)});
    envState(env).tunerCtor = Napi::Persistent(fn);
    return fn;
  }
  explicit TunerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TunerWrap>(info) {}
  std::shared_ptr<TunerBox> box;

 private:
  std::shared_ptr<TunerBox> live(Napi::Env env) {
    if (!box) throw Napi::Error::New(env, "tuner was disposed");
    return box;
  }

  // load(slots: Int32Array, targets: Float32Array n×V | NativeTensor [T,V], targetRows?: Int32Array, seeds:
  // Float64Array)
  Napi::Value Load(const Napi::CallbackInfo& info) {
    auto b = live(info.Env());
    auto o = argObject(info, 0, "load({ slots, targets, targetRows?, seeds })");
    auto slots = std::make_shared<std::vector<int64_t>>(intList(o.Get("slots"), "slots"));
    auto seeds = std::make_shared<std::vector<uint64_t>>(seedsFrom(o.Get("seeds"), "seeds"));
    const int64_t n = static_cast<int64_t>(slots->size());
    const int64_t V = b->model->config().vocabSize;
    // With targetRows the targets are a table the rows index into; without, one per slot.
    auto targets =
        std::make_shared<torch::Tensor>(targetsFrom(o.Get("targets"), V, has(o, "targetRows") ? -1 : n, "targets"));
    auto rows = std::make_shared<std::vector<int64_t>>();
    if (has(o, "targetRows")) {
      *rows = intList(o.Get("targetRows"), "targetRows");
      for (auto r : *rows)
        if (r < 0 || r >= targets->size(0))
          throw Napi::RangeError::New(info.Env(), "targetRows holds " + std::to_string(r) + ", outside the targets");
    }
    return runAsync<bool>(
        info.Env(),
        [b, slots, seeds, targets, rows]() {
          std::lock_guard<std::mutex> lock(b->mu);
          torch::Tensor t = *targets;
          if (!rows->empty()) t = t.index({torch::tensor(*rows, torch::kInt64).to(t.device())});
          b->tuner->load(*slots, t, *seeds);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    auto b = live(info.Env());
    if (info.Length() < 1) throw Napi::TypeError::New(info.Env(), "step(epochs): epochs must be a number");
    const int64_t epochs = integerValue(info[0], "step(epochs): epochs");
    return runAsync<StepReport>(
        info.Env(),
        [b, epochs]() {
          std::lock_guard<std::mutex> lock(b->mu);
          return b->tuner->step(epochs, b->abort);
        },
        [](Napi::Env env, StepReport& r) -> Napi::Value {
          auto o = Napi::Object::New(env);
          o.Set("epochsRun", Napi::Number::New(env, static_cast<double>(r.epochsRun)));
          o.Set("active", Napi::Number::New(env, static_cast<double>(r.active)));
          auto st = r.stopped.to(torch::kUInt8).contiguous();
          auto u = Napi::Uint8Array::New(env, st.numel());
          std::memcpy(u.Data(), st.data_ptr<uint8_t>(), st.numel());
          o.Set("stopped", u);
          o.Set("bestLoss", toFloat32Array(env, r.bestLoss));
          return o;
        });
  }

  Napi::Value HarvestRows(const Napi::CallbackInfo& info) {
    auto b = live(info.Env());
    if (info.Length() < 1) throw Napi::TypeError::New(info.Env(), "harvest(slots)");
    auto slots = std::make_shared<std::vector<int64_t>>(intList(info[0], "slots"));
    return runAsync<Harvest>(
        info.Env(),
        [b, slots]() {
          std::lock_guard<std::mutex> lock(b->mu);
          return b->tuner->harvest(*slots);
        },
        [](Napi::Env env, Harvest& h) -> Napi::Value {
          auto o = Napi::Object::New(env);
          o.Set("bestLoss", toFloat32Array(env, h.bestLoss));
          o.Set("bestEpoch", toInt32Array(env, h.bestEpoch));
          o.Set("epochs", toInt32Array(env, h.epochs));
          o.Set("reason", toInt32Array(env, h.reason));
          o.Set("bestIds", toInt32Array(env, h.bestIds));
          o.Set("currentIds", toInt32Array(env, h.currentIds));
          o.Set("bestSoft", toFloat32Array(env, h.bestSoft));
          o.Set("modelEntropyBits", toFloat32Array(env, h.modelEntropyBits));
          o.Set("checkLoss", toFloat32Array(env, h.checkLoss));
          o.Set("maxAbsLogit", toFloat32Array(env, h.maxAbsLogit));
          return o;
        });
  }

  Napi::Value Abort(const Napi::CallbackInfo& info) {
    if (box) box->abort.store(true);
    return info.Env().Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (box) box->abort.store(true);
    box.reset();  // a running worker keeps its own reference until it returns
    return info.Env().Undefined();
  }
};

Napi::Value CreateTuner(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 2) throw Napi::TypeError::New(env, "createTuner(model, options)");
  auto model = ModelWrap::Shared(info[0]);
  auto o = argObject(info, 1, "createTuner options");
  // Every setting is required: the study's defaults are applied once, in TypeScript (tune()).
  const std::string where = "NativeTuner: options";
  rejectUnknownKeys(o,
                    {"slots", "pattern", "lr", "beta1", "beta2", "eps", "weightDecay", "candidates", "patience",
                     "maxEpochs", "init", "fixedShapes", "cudaGraph", "prefixCache", "stopStalled", "convergedNats",
                     "banned", "contextBefore", "contextAfter"},
                    where);
  TunerOptions opts{};
  opts.slots = requireInt(o, "slots", where);
  opts.pattern = requireString(o, "pattern", where);
  opts.lr = requireNumber(o, "lr", where);
  opts.beta1 = requireNumber(o, "beta1", where);
  opts.beta2 = requireNumber(o, "beta2", where);
  opts.adamEps = requireNumber(o, "eps", where);
  opts.weightDecay = requireNumber(o, "weightDecay", where);
  opts.candidates = requireInt(o, "candidates", where);
  opts.patience = requireInt(o, "patience", where);
  opts.maxEpochs = requireInt(o, "maxEpochs", where);
  opts.init = requireString(o, "init", where);
  opts.fixedShapes = requireBool(o, "fixedShapes", where);
  opts.cudaGraph = requireBool(o, "cudaGraph", where);
  opts.prefixCache = requireBool(o, "prefixCache", where);
  opts.stopStalled = requireBool(o, "stopStalled", where);
  // Optional features: absent means not used.
  if (has(o, "convergedNats")) opts.convergedNats = requireNumber(o, "convergedNats", where);
  const int64_t V = model->config().vocabSize;
  if (has(o, "banned")) opts.banned = bannedMask(o.Get("banned"), V, "banned");
  for (auto [key, ctx] :
       {std::pair{"contextBefore", &opts.contextBefore}, std::pair{"contextAfter", &opts.contextAfter}})
    if (has(o, key)) *ctx = torch::tensor(tokenIds(o.Get(key), V, key), torch::kInt64);
  auto obj = envState(env).tunerCtor.New({});
  auto* w = Napi::ObjectWrap<TunerWrap>::Unwrap(obj);
  w->box = std::make_shared<TunerBox>();
  w->box->model = model;
  // Shares the box's life: raised at exit, it ends a running step at its next epoch.
  stopAtExit(env, std::shared_ptr<std::atomic<bool>>(w->box, &w->box->abort));
  try {
    w->box->tuner = std::make_unique<Tuner>(model, opts);
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return obj;
}

// The StopReason enum's names in its order: what TypeScript's NATIVE_STOP_REASONS must equal.
Napi::Value StopReasons(const Napi::CallbackInfo& info) {
  auto out = Napi::Array::New(info.Env());
  uint32_t i = 0;
  for (const char* name : stopReasonNames) out.Set(i++, name);
  return out;
}

}  // namespace

void RegisterTuner(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeTuner", TunerWrap::Init(env));
  exports.Set("createTuner", Napi::Function::New(env, CreateTuner));
  exports.Set("stopReasons", Napi::Function::New(env, StopReasons));
}

}  // namespace dp
