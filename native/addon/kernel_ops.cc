// N-API face of the kernels, on plain arrays: klDivergence and hotflipTopK, for tests and for
// users who want the kernels without a model.
#include <ATen/CPUGeneratorImpl.h>

#include "addon/common.h"
#include "addon/registry.h"
#include "kernels/hotflip.h"
#include "kernels/kl.h"

namespace dp {

namespace {

// klDivergence({ logits, target, rows, vocab, dtype?, device?, reference?, targetTerms? }) →
// { klNats, gradLogits } with gradLogits = d(Σ rows KL)/d logits.
Napi::Value KlDivergence(const Napi::CallbackInfo& info) {
  auto o = argObject(info, 0, "klDivergence({ logits, target, rows, vocab })");
  const int64_t rows = getInt(o, "rows"), vocab = getInt(o, "vocab");
  if (rows < 1 || vocab < 2) throw Napi::RangeError::New(info.Env(), "rows must be at least 1 and vocab at least 2");
  auto logits = floatTensorFrom(o.Get("logits"), {rows, vocab}, "logits");
  auto target = floatTensorFrom(o.Get("target"), {rows, vocab}, "target");
  auto dtype = parseDtype(getString(o, "dtype", "float32"));
  auto device = parseDevice(getString(o, "device", "cpu"));
  const bool reference = getBool(o, "reference", false);
  const bool terms = getBool(o, "targetTerms", false);  // give the fused forward the target's own sums
  using Out = std::pair<torch::Tensor, torch::Tensor>;
  return runAsync<Out>(
      info.Env(),
      [=]() -> Out {
        torch::AutoGradMode ag(true);
        auto z = logits.to(device, dtype).requires_grad_(true);
        auto p = target.to(device, dtype == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32);
        auto kl = reference ? kernels::klReference(z, p)
                            : kernels::klFused(z, p, terms ? kernels::klTargetTerms(p) : torch::Tensor());
        kl.sum().backward();
        return {kl.detach().cpu(), z.grad().cpu()};
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("klNats", toFloat32Array(env, r.first));
        out.Set("gradLogits", toFloat32Array(env, r.second));
        return out;
      });
}

// Seconds per fused (or, with reference, unfused libtorch) softmax-KL forward + backward on
// tensors already on the device: the kernels alone, for bench/kernels (never tests).
Napi::Value KlSeconds(const Napi::CallbackInfo& info) {
  auto o = argObject(info, 0, "klSeconds({ rows, vocab, dtype, device, reps, reference })");
  const int64_t rows = getInt(o, "rows"), vocab = getInt(o, "vocab"), reps = getInt(o, "reps", 5);
  if (rows < 1 || vocab < 2 || reps < 1)
    throw Napi::RangeError::New(info.Env(), "klSeconds: rows ≥ 1, vocab ≥ 2, reps ≥ 1");
  auto dtype = parseDtype(getString(o, "dtype", "float32"));
  auto device = parseDevice(getString(o, "device", "cpu"));
  const bool reference = getBool(o, "reference", false);
  return runAsync<double>(
      info.Env(),
      [=]() {
        auto gen = at::detail::createCPUGenerator(1);
        auto z0 = (torch::randn({rows, vocab}, gen, torch::kFloat32) * 3).to(device, dtype);
        auto p = torch::softmax(torch::randn({rows, vocab}, gen, torch::kFloat32) * 2, -1).to(device);
        return secondsPerCall(device, reps, [&]() {
          torch::AutoGradMode ag(true);
          auto z = z0.detach().requires_grad_(true);
          auto kl = reference ? kernels::klReference(z, p) : kernels::klFused(z, p);
          kl.sum().backward();
        });
      },
      [](Napi::Env env, double& s) -> Napi::Value { return Napi::Number::New(env, s); });
}

// klCandidates({ logits, target, rows, vocab, candidates, dtype?, device?, shared?, targetTerms? }) → klNats:
// logits [rows · candidates, vocab] against target [rows, vocab], row r against target r / k.
// shared false: the per-candidate copy of the targets (the path it replaces). Tests only.
Napi::Value KlCandidates(const Napi::CallbackInfo& info) {
  auto o = argObject(info, 0, "klCandidates({ logits, target, rows, vocab, candidates })");
  const int64_t rows = getInt(o, "rows"), vocab = getInt(o, "vocab"), k = getInt(o, "candidates");
  if (rows < 1 || vocab < 2 || k < 1)
    throw Napi::RangeError::New(info.Env(), "klCandidates: rows ≥ 1, vocab ≥ 2, candidates ≥ 1");
  int64_t candidateRows = 0;  // rows × k past int64 was undefined behaviour (UBSan)
  if (__builtin_mul_overflow(rows, k, &candidateRows))
    throw Napi::RangeError::New(info.Env(), "klCandidates: rows × candidates = " + std::to_string(rows) + " × " +
                                                std::to_string(k) + " holds more rows than an array can");
  auto logits = floatTensorFrom(o.Get("logits"), {candidateRows, vocab}, "logits");
  auto target = floatTensorFrom(o.Get("target"), {rows, vocab}, "target");
  auto dtype = parseDtype(getString(o, "dtype", "float32"));
  auto device = parseDevice(getString(o, "device", "cpu"));
  const bool shared = getBool(o, "shared", true);
  const bool terms = getBool(o, "targetTerms", false);
  return runAsync<torch::Tensor>(
      info.Env(),
      [=]() {
        auto p = target.to(device, dtype == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32);
        auto t = terms ? kernels::klTargetTerms(p) : torch::Tensor();
        return kernels::klCandidates(logits.to(device, dtype), p, shared, t).cpu();
      },
      [](Napi::Env env, torch::Tensor& kl) -> Napi::Value { return toFloat32Array(env, kl); });
}

Napi::Value HotflipTopK(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = argObject(info, 0, "hotflipTopK({ grad, current, embeddings, rows, hidden, vocab, k })");
  const int64_t rows = getInt(o, "rows"), hidden = getInt(o, "hidden"), vocab = getInt(o, "vocab"), k = getInt(o, "k");
  auto grad = floatTensorFrom(o.Get("grad"), {rows, hidden}, "grad");
  auto current = floatTensorFrom(o.Get("current"), {rows, hidden}, "current");
  auto E = floatTensorFrom(o.Get("embeddings"), {vocab, hidden}, "embeddings");
  torch::Tensor banned = has(o, "banned") ? bannedMask(o.Get("banned"), vocab, "banned") : torch::Tensor();
  auto device = parseDevice(getString(o, "device", "cpu"));
  const bool reference = getBool(o, "reference", false);
  using Out = std::pair<torch::Tensor, torch::Tensor>;
  return runAsync<Out>(
      env,
      [=]() -> Out {
        torch::NoGradGuard ng;
        auto b = banned.defined() ? banned.to(device) : banned;
        auto r = reference ? kernels::hotflipReference(grad.to(device), current.to(device), E.to(device), k, b)
                           : kernels::hotflipTopK(grad.to(device), current.to(device), E.to(device), k, b);
        return {r.first.cpu(), r.second.cpu()};
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("ids", toInt32Array(env, r.first));
        out.Set("scores", toFloat32Array(env, r.second));
        return out;
      });
}

}  // namespace

void RegisterKernelOps(Napi::Env env, Napi::Object exports) {
  exports.Set("klDivergence", Napi::Function::New(env, KlDivergence));
  exports.Set("klSeconds", Napi::Function::New(env, KlSeconds));
  exports.Set("klCandidates", Napi::Function::New(env, KlCandidates));
  exports.Set("hotflipTopK", Napi::Function::New(env, HotflipTopK));
}

}  // namespace dp
