#include "addon/model_wrap.h"

#include "addon/cancel.h"
#include "addon/common.h"
#include "addon/env_state.h"
#include "addon/registry.h"
#include "addon/targets_from.h"
#include "kernels/kl.h"

namespace dp {

// ---- baton: the JS model spec copied into plain C++ on the JS thread ----
namespace {

struct LoadSpec {
  ModelConfig cfg;
  std::vector<CheckpointFile> files;
  bool random = false;
  uint64_t seed = 0;
  std::string device, dtype;  // required: TypeScript's loadModel chose them
};

const FieldTable<KernelChoice>& kernelFields() {
  static const FieldTable<KernelChoice> fields = {
      {"sharedTargets", &KernelChoice::sharedTargets},
      {"groupedAttention", &KernelChoice::groupedAttention},
      {"fusedRmsNorm", &KernelChoice::fusedRmsNorm},
  };
  return fields;
}

// The device's defaults, with the fields `v` names (an object of booleans) in their place.
KernelChoice readKernels(const Napi::Value& v, torch::Device device) {
  auto k = KernelChoice::defaultsFor(device);
  if (v.IsUndefined()) return k;
  const std::string where = "loadModel: kernels";
  if (!v.IsObject()) throw Napi::TypeError::New(v.Env(), where + " must be an object of booleans");
  auto o = v.As<Napi::Object>();
  rejectUnknownKeys(o, namesOf(kernelFields()), where);
  for (const auto& field : kernelFields())
    if (has(o, field.first)) readField(o, field.first, field.second, k, where);
  return k;
}

// The config's fields, one row each, used both to read a config and to echo it back (config()),
// so the two cannot differ. The same names, with their types, are declared once in TypeScript
// (MODEL_CONFIG_FIELDS, lib/native/types-model.ts); test/native-boundary.test.ts checks that
// every one of them arrives here with its value.
const FieldTable<ModelConfig>& configFields() {
  static const FieldTable<ModelConfig> fields = {
      {"family", &ModelConfig::family},
      {"vocabSize", &ModelConfig::vocabSize},
      {"hiddenSize", &ModelConfig::hiddenSize},
      {"layers", &ModelConfig::layers},
      {"heads", &ModelConfig::heads},
      {"kvHeads", &ModelConfig::kvHeads},
      {"headDim", &ModelConfig::headDim},
      {"intermediateSize", &ModelConfig::intermediateSize},
      {"maxPositions", &ModelConfig::maxPositions},
      {"norm", &ModelConfig::norm},
      {"normEps", &ModelConfig::normEps},
      {"position", &ModelConfig::position},
      {"ropeTheta", &ModelConfig::ropeTheta},
      {"activation", &ModelConfig::activation},
      {"gatedMlp", &ModelConfig::gatedMlp},
      {"parallelBlock", &ModelConfig::parallelBlock},
      {"blockNorms", &ModelConfig::blockNorms},
      {"qkvBias", &ModelConfig::qkvBias},
      {"attnOutBias", &ModelConfig::attnOutBias},
      {"mlpBias", &ModelConfig::mlpBias},
      {"tiedEmbeddings", &ModelConfig::tiedEmbeddings},
      {"scaleAttnByInverseLayerIdx", &ModelConfig::scaleAttnByInverseLayerIdx},
      {"initStd", &ModelConfig::initStd},
      {"qkvLayout", &ModelConfig::qkvLayout},
  };
  return fields;
}

const FieldTable<RopeScaling>& ropeFields() {
  static const FieldTable<RopeScaling> fields = {
      {"type", &RopeScaling::type},
      {"factor", &RopeScaling::factor},
      {"lowFreqFactor", &RopeScaling::lowFreqFactor},
      {"highFreqFactor", &RopeScaling::highFreqFactor},
      {"originalMaxPositions", &RopeScaling::originalMaxPositions},
  };
  return fields;
}

// Strict: every field is required (TypeScript applies the families' defaults, lib/model/config.ts)
// and an unknown one is an error, so a field added on one side only cannot pass unnoticed.
ModelConfig readConfig(const Napi::Value& v) {
  const std::string where = "loadModel: config";
  if (!v.IsObject()) throw Napi::TypeError::New(v.Env(), where + " is missing");
  auto o = v.As<Napi::Object>();
  auto known = namesOf(configFields());
  known.push_back("ropeScaling");
  rejectUnknownKeys(o, known, where);
  ModelConfig c{};
  for (const auto& field : configFields()) readField(o, field.first, field.second, c, where);
  if (has(o, "ropeScaling")) {
    const std::string rwhere = where + ".ropeScaling";
    if (!o.Get("ropeScaling").IsObject()) throw Napi::TypeError::New(v.Env(), rwhere + " must be an object");
    auto r = o.Get("ropeScaling").As<Napi::Object>();
    rejectUnknownKeys(r, namesOf(ropeFields()), rwhere);
    c.ropeScaling.type = requireString(r, "type", rwhere);
    // none and linear need only a factor; llama3 needs every field.
    const size_t needed = c.ropeScaling.type == "llama3" ? ropeFields().size() : 2;
    for (size_t i = 0; i < ropeFields().size(); ++i)
      if (i < needed || has(r, ropeFields()[i].first))
        readField(r, ropeFields()[i].first, ropeFields()[i].second, c.ropeScaling, rwhere);
  }
  return c;
}

std::vector<CheckpointFile> readFiles(const Napi::Array& arr) {
  std::vector<CheckpointFile> files;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto f = arr.Get(i).As<Napi::Object>();
    CheckpointFile cf;
    cf.path = getString(f, "path");
    cf.map = has(f, "map") && f.Get("map").ToBoolean().Value();
    auto ts = f.Get("tensors").As<Napi::Array>();
    for (uint32_t j = 0; j < ts.Length(); ++j) {
      auto t = ts.Get(j).As<Napi::Object>();
      TensorEntry e;
      e.name = getString(t, "name");
      e.dtype = getString(t, "dtype");
      if (!t.Get("shape").IsArray())
        throw Napi::TypeError::New(t.Env(), "tensor '" + e.name + "': shape must be an array");
      auto shape = t.Get("shape").As<Napi::Array>();
      for (uint32_t k = 0; k < shape.Length(); ++k)
        e.shape.push_back(integerValue(shape.Get(k), "tensor '" + e.name + "': shape"));
      e.begin = static_cast<uint64_t>(getInt(t, "begin"));
      e.end = static_cast<uint64_t>(getInt(t, "end"));
      cf.tensors.push_back(std::move(e));
    }
    files.push_back(std::move(cf));
  }
  return files;
}

// Inputs of a forward: either ids or embeds, [rows, positions(, hidden)], optional positionIds.
struct ForwardArgs {
  torch::Tensor ids, embeds, positionIds, target;
  int64_t rows = 0, positions = 0;
};

ForwardArgs readForward(const Napi::Object& o, const Transformer& m, bool needTarget) {
  ForwardArgs a;
  a.rows = getInt(o, "rows");
  a.positions = getInt(o, "positions");
  if (a.rows < 1) throw Napi::RangeError::New(o.Env(), "rows must be at least 1");
  if (a.positions < 1) throw Napi::RangeError::New(o.Env(), "positions must be at least 1");
  const int64_t d = m.config().hiddenSize, V = m.config().vocabSize;
  if (has(o, "embeds"))
    a.embeds = floatTensorFrom(o.Get("embeds"), {a.rows, a.positions, d}, "embeds");
  else if (has(o, "ids"))
    a.ids = intTensorFrom(o.Get("ids"), {a.rows, a.positions}, "ids");
  else
    throw Napi::TypeError::New(o.Env(), "give either ids (Int32Array) or embeds (Float32Array)");
  if (has(o, "positionIds")) a.positionIds = intTensorFrom(o.Get("positionIds"), {a.rows, a.positions}, "positionIds");
  if (needTarget) {
    if (!has(o, "target")) throw Napi::TypeError::New(o.Env(), "missing target (Float32Array rows×vocab)");
    a.target = targetsFrom(o.Get("target"), V, a.rows, "target");
    if (a.target.dim() != 2 || a.target.size(0) != a.rows || a.target.size(1) != V)
      throw Napi::RangeError::New(o.Env(),
                                  "target must be rows×vocab = " + std::to_string(a.rows) + "×" + std::to_string(V));
  }
  return a;
}

torch::Tensor inputEmbeds(const Transformer& m, const ForwardArgs& a) {
  return a.embeds.defined() ? a.embeds.to(m.device()) : m.embed(a.ids);
}

}  // namespace

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  auto o = argObject(info, 0, "loadModel(spec)");
  auto spec = std::make_shared<LoadSpec>();
  spec->cfg = readConfig(o.Get("config"));
  rejectUnknownKeys(o, {"config", "device", "dtype", "files", "seed", "kernels", "cancel"}, "loadModel: spec");
  spec->device = requireString(o, "device", "loadModel: spec");
  spec->dtype = requireString(o, "dtype", "loadModel: spec");
  if (has(o, "seed")) {
    spec->random = true;
    spec->seed = static_cast<uint64_t>(getInt(o, "seed"));
  } else {
    if (!has(o, "files")) throw Napi::TypeError::New(info.Env(), "loadModel: give checkpoint files or a seed");
    spec->files = readFiles(o.Get("files").As<Napi::Array>());
  }
  // Device and dtype errors are cheap to find: raise them before queueing any work.
  auto device = parseDevice(spec->device);
  auto dtype = parseDtype(spec->dtype);
  const auto kernels = readKernels(o.Get("kernels"), device);
  // Held by the work until it ends, so the flag outlives a JavaScript CancelFlag collected meanwhile;
  // without a signal too, an exit stops the build at its next tensor rather than wait for it all.
  const auto cancel = has(o, "cancel") ? cancelFlagOf(o.Get("cancel"), "loadModel: spec.cancel")
                                       : std::make_shared<std::atomic<bool>>(false);
  stopAtExit(info.Env(), cancel);
  return runAsync<std::shared_ptr<const Transformer>>(
      info.Env(),
      [spec, device, dtype, kernels, cancel]() -> std::shared_ptr<const Transformer> {
        torch::NoGradGuard ng;
        if (spec->random)
          return std::make_shared<Transformer>(spec->cfg, spec->seed, device, dtype, kernels, cancel.get());
        auto store = WeightStore::open(spec->files);
        return std::make_shared<Transformer>(spec->cfg, store, device, dtype, kernels, cancel.get());
      },
      [](Napi::Env env, std::shared_ptr<const Transformer>& m) -> Napi::Value {
        auto obj = envState(env).modelCtor.New({});
        auto* w = Napi::ObjectWrap<ModelWrap>::Unwrap(obj);
        w->model_ = m;
        if (m->device().is_cpu()) {
          w->externalBytes_ = m->parameterBytes();
          Napi::MemoryManagement::AdjustExternalMemory(env, w->externalBytes_);
        }
        return obj;
      });
}

Napi::Function ModelWrap::Init(Napi::Env env) {
  auto fn = DefineClass(env, "NativeModel",
                        {InstanceMethod("info", &ModelWrap::Info), InstanceMethod("logits", &ModelWrap::Logits),
                         InstanceMethod("hidden", &ModelWrap::Hidden), InstanceMethod("embed", &ModelWrap::Embed),
                         InstanceMethod("klGradient", &ModelWrap::KlGradient),
                         InstanceMethod("embeddingStats", &ModelWrap::EmbeddingStats),
                         InstanceMethod("config", &ModelWrap::Config), InstanceMethod("dispose", &ModelWrap::Dispose)});
  envState(env).modelCtor = Napi::Persistent(fn);
  return fn;
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {}
ModelWrap::~ModelWrap() = default;

std::shared_ptr<const Transformer> ModelWrap::live(const Napi::Env& env) const {
  if (!model_) throw Napi::Error::New(env, "model was disposed");
  return model_;
}

std::shared_ptr<const Transformer> ModelWrap::Shared(const Napi::Value& v) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(envState(v.Env()).modelCtor.Value()))
    throw Napi::TypeError::New(v.Env(), "expected a NativeModel");
  return Napi::ObjectWrap<ModelWrap>::Unwrap(v.As<Napi::Object>())->live(v.Env());
}

Napi::Value ModelWrap::Info(const Napi::CallbackInfo& info) {
  auto m = live(info.Env());
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  const auto& c = m->config();
  o.Set("family", c.family);
  o.Set("vocabSize", Napi::Number::New(env, c.vocabSize));
  o.Set("hiddenSize", Napi::Number::New(env, c.hiddenSize));
  o.Set("layers", Napi::Number::New(env, c.layers));
  o.Set("heads", Napi::Number::New(env, c.heads));
  o.Set("kvHeads", Napi::Number::New(env, c.kvHeads));
  o.Set("device", m->device().str());
  o.Set("dtype", dtypeName(m->dtype()));
  o.Set("parameters", Napi::Number::New(env, static_cast<double>(m->parameterCount())));
  o.Set("kernels", echoFields(env, kernelFields(), m->kernels()));
  return o;
}

// The configuration as the C++ struct holds it, field by field (the boundary test reads it).
Napi::Value ModelWrap::Config(const Napi::CallbackInfo& info) {
  const auto& c = live(info.Env())->config();
  auto o = echoFields(info.Env(), configFields(), c);
  o.Set("ropeScaling", echoFields(info.Env(), ropeFields(), c.ropeScaling));
  return o;
}

Napi::Value ModelWrap::Logits(const Napi::CallbackInfo& info) {
  auto m = live(info.Env());
  auto a = std::make_shared<ForwardArgs>(readForward(argObject(info, 0, "logits(options)"), *m, false));
  return runAsync<torch::Tensor>(
      info.Env(),
      [m, a]() {
        torch::InferenceMode im;
        return m->lmHead(m->lastHidden(inputEmbeds(*m, *a), a->positionIds)).to(torch::kFloat32).cpu();
      },
      [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return toFloat32Array(env, t); });
}

Napi::Value ModelWrap::Hidden(const Napi::CallbackInfo& info) {
  auto m = live(info.Env());
  auto a = std::make_shared<ForwardArgs>(readForward(argObject(info, 0, "hidden(options)"), *m, false));
  return runAsync<torch::Tensor>(
      info.Env(),
      [m, a]() {
        torch::InferenceMode im;
        return m->lastHidden(inputEmbeds(*m, *a), a->positionIds).to(torch::kFloat32).cpu();
      },
      [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return toFloat32Array(env, t); });
}

Napi::Value ModelWrap::Embed(const Napi::CallbackInfo& info) {
  auto m = live(info.Env());
  auto o = argObject(info, 0, "embed({ ids, rows, positions })");
  int64_t rows = getInt(o, "rows"), positions = getInt(o, "positions");
  auto ids = std::make_shared<torch::Tensor>(intTensorFrom(o.Get("ids"), {rows, positions}, "ids"));
  return runAsync<torch::Tensor>(
      info.Env(),
      [m, ids]() {
        torch::InferenceMode im;
        return m->embed(*ids).to(torch::kFloat32).cpu();
      },
      [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return toFloat32Array(env, t); });
}

// Per-row KL(target || softmax(last logits)) in nats and d(Σ KL)/d embeds.
Napi::Value ModelWrap::KlGradient(const Napi::CallbackInfo& info) {
  auto m = live(info.Env());
  auto a = std::make_shared<ForwardArgs>(readForward(argObject(info, 0, "klGradient(options)"), *m, true));
  if (!a->embeds.defined()) throw Napi::TypeError::New(info.Env(), "klGradient needs embeds (soft prompts)");
  using Out = std::pair<torch::Tensor, torch::Tensor>;
  return runAsync<Out>(
      info.Env(),
      [m, a]() -> Out {
        torch::AutoGradMode ag(true);
        auto x = a->embeds.to(m->device()).requires_grad_(true);
        auto logits = m->lmHead(m->lastHidden(x, a->positionIds));
        auto kl = kernels::klFused(logits, a->target.to(m->device(), torch::kFloat32));
        kl.sum().backward();
        return {kl.detach().cpu(), x.grad().to(torch::kFloat32).cpu()};
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("klNats", toFloat32Array(env, r.first));
        o.Set("gradEmbeds", toFloat32Array(env, r.second));
        return o;
      });
}

Napi::Value ModelWrap::EmbeddingStats(const Napi::CallbackInfo& info) {
  auto m = live(info.Env());
  torch::NoGradGuard ng;
  auto e = m->embeddingMatrix().to(torch::kFloat32);
  auto o = Napi::Object::New(info.Env());
  o.Set("mean", e.mean().item<double>());
  o.Set("std", e.std().item<double>());
  o.Set("rowNormMean", e.norm(2, 1).mean().item<double>());
  if (m->positionMatrix().defined()) o.Set("positionStd", m->positionMatrix().to(torch::kFloat32).std().item<double>());
  return o;
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  if (model_ && externalBytes_) Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -externalBytes_);
  externalBytes_ = 0;
  model_.reset();  // in-flight workers still hold their own reference
  return info.Env().Undefined();
}

void RegisterModel(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeModel", ModelWrap::Init(env));
  exports.Set("loadModel", Napi::Function::New(env, LoadModel));
}

}  // namespace dp
