#include "addon/model_wrap.h"

#include "addon/common.h"
#include "addon/registry.h"
#include "addon/tensor_handle.h"
#include "kernels/kl.h"

namespace dp {

Napi::FunctionReference* ModelWrap::ctor_ = nullptr;

// ---- baton: the JS model spec copied into plain C++ on the JS thread ----
namespace {

struct LoadSpec {
  ModelConfig cfg;
  std::vector<CheckpointFile> files;
  bool random = false;
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string dtype = "float32";
};

ModelConfig readConfig(const Napi::Object& o) {
  ModelConfig c;
  c.family = getString(o, "family");
  c.vocabSize = getInt(o, "vocabSize");
  c.hiddenSize = getInt(o, "hiddenSize");
  c.layers = getInt(o, "layers");
  c.heads = getInt(o, "heads");
  c.kvHeads = getInt(o, "kvHeads");
  c.headDim = getInt(o, "headDim");
  c.intermediateSize = getInt(o, "intermediateSize");
  c.maxPositions = getInt(o, "maxPositions", 0);
  c.norm = getString(o, "norm");
  c.normEps = getNumber(o, "normEps", 1e-5);
  c.position = getString(o, "position");
  c.ropeTheta = getNumber(o, "ropeTheta", 10000.0);
  if (has(o, "ropeScaling")) {
    auto r = o.Get("ropeScaling").As<Napi::Object>();
    c.ropeScaling.type = getString(r, "type", "none");
    c.ropeScaling.factor = getNumber(r, "factor", 1.0);
    c.ropeScaling.lowFreqFactor = getNumber(r, "lowFreqFactor", 1.0);
    c.ropeScaling.highFreqFactor = getNumber(r, "highFreqFactor", 4.0);
    c.ropeScaling.originalMaxPositions = getNumber(r, "originalMaxPositions", 8192);
  }
  c.activation = getString(o, "activation");
  c.gatedMlp = getBool(o, "gatedMlp", false);
  c.parallelBlock = getBool(o, "parallelBlock", false);
  c.blockNorms = getInt(o, "blockNorms", 2);
  c.qkvBias = getBool(o, "qkvBias", false);
  c.attnOutBias = getBool(o, "attnOutBias", false);
  c.mlpBias = getBool(o, "mlpBias", false);
  c.tiedEmbeddings = getBool(o, "tiedEmbeddings", true);
  c.scaleAttnByInverseLayerIdx = getBool(o, "scaleAttnByInverseLayerIdx", false);
  c.qkvLayout = getString(o, "qkvLayout", "separate");
  c.initStd = getNumber(o, "initStd", 0.02);
  return c;
}

std::vector<CheckpointFile> readFiles(const Napi::Array& arr) {
  std::vector<CheckpointFile> files;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto f = arr.Get(i).As<Napi::Object>();
    CheckpointFile cf;
    cf.path = getString(f, "path");
    auto ts = f.Get("tensors").As<Napi::Array>();
    for (uint32_t j = 0; j < ts.Length(); ++j) {
      auto t = ts.Get(j).As<Napi::Object>();
      TensorEntry e;
      e.name = getString(t, "name");
      e.dtype = getString(t, "dtype");
      auto shape = t.Get("shape").As<Napi::Array>();
      for (uint32_t k = 0; k < shape.Length(); ++k) e.shape.push_back(shape.Get(k).As<Napi::Number>().Int64Value());
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
    a.target = TensorHandle::Is(o.Get("target")) ? TensorHandle::TensorOf(o.Get("target"), "target")
                                                : floatTensorFrom(o.Get("target"), {a.rows, V}, "target");
    if (a.target.dim() != 2 || a.target.size(0) != a.rows || a.target.size(1) != V)
      throw Napi::RangeError::New(o.Env(), "target must be rows×vocab = " + std::to_string(a.rows) + "×" + std::to_string(V));
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
  spec->cfg = readConfig(o.Get("config").As<Napi::Object>());
  spec->device = getString(o, "device", "cpu");
  spec->dtype = getString(o, "dtype", "float32");
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
  return runAsync<std::shared_ptr<const Transformer>>(
      info.Env(),
      [spec, device, dtype]() -> std::shared_ptr<const Transformer> {
        torch::NoGradGuard ng;
        if (spec->random) return std::make_shared<Transformer>(spec->cfg, spec->seed, device, dtype);
        auto store = WeightStore::open(spec->files);
        return std::make_shared<Transformer>(spec->cfg, store, device, dtype);
      },
      [](Napi::Env env, std::shared_ptr<const Transformer>& m) -> Napi::Value {
        auto obj = ModelWrap::ctor_->New({});
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
                         InstanceMethod("dispose", &ModelWrap::Dispose)});
  ctor_ = new Napi::FunctionReference(Napi::Persistent(fn));
  return fn;
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {}
ModelWrap::~ModelWrap() = default;

std::shared_ptr<const Transformer> ModelWrap::live(const Napi::Env& env) const {
  if (!model_) throw Napi::Error::New(env, "model was disposed");
  return model_;
}

std::shared_ptr<const Transformer> ModelWrap::Shared(const Napi::Value& v) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(ctor_->Value()))
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
