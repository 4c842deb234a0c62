// N-API face of the head bound (native/bound/): against a loaded model's final norm and LM
// head, or against a head given as plain arrays (tests, users studying a head alone).
// Options are validated in TypeScript (lib/bound/options.ts) and every one is passed: none
// has a default here that could disagree.
#include <cstring>

#include "addon/cancel.h"
#include "addon/common.h"
#include "addon/env_state.h"
#include "addon/model_wrap.h"
#include "addon/registry.h"
#include "addon/targets_from.h"
#include "bound/head_bound.h"

namespace dp {

namespace {

BoundOptions boundOptions(const Napi::Object& o, int64_t targets) {
  const std::string where = "headBound: options";
  BoundOptions b;
  b.dtype = parseDtype(requireString(o, "dtype", where));
  b.tolNats = requireNumber(o, "tolNats", where);
  b.maxIterations = requireInt(o, "maxIterations", where);
  b.gradTol = requireNumber(o, "gradTol", where);
  b.bottleneckIterations = requireInt(o, "bottleneckIterations", where);
  if (!has(o, "groups")) throw Napi::TypeError::New(o.Env(), where + ".groups is missing");
  auto groups = intTensorFrom(o.Get("groups"), {targets}, "headBound: options.groups");
  b.groups.assign(groups.data_ptr<int64_t>(), groups.data_ptr<int64_t>() + targets);
  b.returnPoint = requireBool(o, "returnPoint", where);
  b.sphere = requireBool(o, "sphere", where);
  b.sphereRandomStarts = requireInt(o, "sphereRandomStarts", where);
  auto cancel = has(o, "cancel") ? cancelFlagOf(o.Get("cancel"), "headBound: options.cancel")
                                 : std::make_shared<std::atomic<bool>>(false);
  stopAtExit(o.Env(), cancel);  // without a signal too: an exit must not wait for the solve
  b.cancel = cancel;
  return b;
}

Napi::Float64Array toFloat64Array(Napi::Env env, const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  auto a = Napi::Float64Array::New(env, c.numel());
  std::memcpy(a.Data(), c.data_ptr<double>(), c.numel() * sizeof(double));
  return a;
}

Napi::Uint8Array toUint8Array(Napi::Env env, const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kUInt8).contiguous();
  auto a = Napi::Uint8Array::New(env, c.numel());
  std::memcpy(a.Data(), c.data_ptr<uint8_t>(), c.numel());
  return a;
}

Napi::Value resultObject(Napi::Env env, const BoundResult& r) {
  auto out = Napi::Object::New(env);
  out.Set("headBoundNats", toFloat64Array(env, r.headNats));
  out.Set("gapNats", toFloat64Array(env, r.gapNats));
  out.Set("iterations", toInt32Array(env, r.iterations));
  out.Set("onBoundary", toUint8Array(env, r.onBoundary));
  out.Set("passes", toInt32Array(env, r.passes));
  out.Set("passRows", toInt32Array(env, r.passRows));
  out.Set("groupPasses", toInt32Array(env, r.groupPasses));
  if (r.sphereNats.defined()) {
    out.Set("sphereBoundNats", toFloat64Array(env, r.sphereNats));
    out.Set("sphereStarts", toInt32Array(env, r.sphereStarts));
    out.Set("sphereResidual", toFloat64Array(env, r.sphereResidual));
  }
  if (r.bottleneckNats.defined()) {
    out.Set("bottleneckBoundNats", toFloat64Array(env, r.bottleneckNats));
    out.Set("bottleneckGradNorm", toFloat64Array(env, r.bottleneckGradNorm));
    out.Set("bottleneckStatus", toUint8Array(env, r.bottleneckStatus));
  }
  if (r.point.defined()) {
    out.Set("point", toFloat32Array(env, r.point));
    out.Set("distribution", toFloat32Array(env, r.distribution));
  }
  return out;
}

Napi::Value solve(Napi::Env env, HeadProblem problem, torch::Tensor targets, BoundOptions opts,
                  std::shared_ptr<const Transformer> pin) {
  return runAsync<BoundResult>(
      env, [problem, targets, opts, pin]() { return solveHeadBound(problem, targets, opts); },
      [](Napi::Env env, BoundResult& r) { return resultObject(env, r); });
}

// headBound(model, { targets, ...options }) against the model's final norm and head; targets
// a device tensor (used where it is) or a Float32Array rows×vocab.
Napi::Value HeadBound(const Napi::CallbackInfo& info) {
  auto model = ModelWrap::Shared(info[0]);
  auto o = argObject(info, 1, "headBound(model, { targets, ... })");
  auto targets = targetsFrom(o.Get("targets"), model->config().vocabSize, -1, "targets");
  const auto& norm = model->finalNorm();
  HeadProblem p;
  p.W = model->headMatrix();
  p.gamma = norm.w;
  p.beta = norm.rms ? torch::Tensor() : norm.b;
  p.layerNorm = !norm.rms;
  return solve(info.Env(), p, targets, boundOptions(o, targets.size(0)), model);
}

// headBoundOf({ W, vocab, hidden, norm: 'layernorm'|'rmsnorm'|'none', gamma?, beta?, bias?,
// targets, ...options }): the same solver on a head given as arrays.
Napi::Value HeadBoundOf(const Napi::CallbackInfo& info) {
  auto o = argObject(info, 0, "headBoundOf({ W, vocab, hidden, norm, targets, ... })");
  const int64_t V = getInt(o, "vocab"), d = getInt(o, "hidden");
  const auto norm = getString(o, "norm");
  HeadProblem p;
  p.W = floatTensorFrom(o.Get("W"), {V, d}, "W");
  if (has(o, "bias")) p.bias = floatTensorFrom(o.Get("bias"), {V}, "bias");
  if (has(o, "gamma")) p.gamma = floatTensorFrom(o.Get("gamma"), {d}, "gamma");
  if (has(o, "beta")) p.beta = floatTensorFrom(o.Get("beta"), {d}, "beta");
  p.layerNorm = norm == "layernorm";
  auto targets = targetsFrom(o.Get("targets"), V, -1, "targets");
  auto opts = boundOptions(o, targets.size(0));
  auto device = parseDevice(getString(o, "device", "cpu"));
  p.W = p.W.to(device);
  return solve(info.Env(), p, targets, opts, nullptr);
}

}  // namespace

void RegisterBoundOps(Napi::Env env, Napi::Object exports) {
  exports.Set("headBound", Napi::Function::New(env, HeadBound));
  exports.Set("headBoundOf", Napi::Function::New(env, HeadBoundOf));
}

}  // namespace dp
