// N-API face of target synthesis (native/targets): batched, seeded, on the device.
#include "addon/common.h"
#include "addon/registry.h"
#include "addon/tensor_handle.h"
#include "targets/row_stats.h"
#include "targets/vanilla_outlier.h"

namespace dp {

namespace {

std::vector<double> doubles(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

// synthesizeEntropyTargets({ vocab, seeds, entropyNats, method, eps, maxIter, device,
//                            outliers?, outlierCount?, minMass?, alpha?, beta?, subBatch? })
Napi::Value SynthesizeEntropyTargets(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = argObject(info, 0, "synthesizeEntropyTargets(options)");
  const int64_t V = getInt(o, "vocab");
  if (V < 2) throw Napi::RangeError::New(env, "vocab must be at least 2");
  auto seeds = seedsFrom(o.Get("seeds"), "seeds");
  auto h = doubles(o.Get("entropyNats"), "entropyNats");
  // The entropy range [0, log V] is a user-facing rule, checked (with the field named) in lib/targets.
  if (seeds.size() != h.size()) throw Napi::RangeError::New(env, "one seed per target");
  auto method = getString(o, "method", "gradient");
  if (method != "gradient" && method != "temperature")
    throw Napi::TypeError::New(env, "method must be 'gradient' or 'temperature'");
  const double eps = getNumber(o, "eps", 0.01);
  const int64_t maxIter = getInt(o, "maxIter", method == "temperature" ? 200 : 5000);
  auto device = parseDevice(getString(o, "device", "cpu"));
  const int64_t n = static_cast<int64_t>(h.size());
  torch::Tensor outliers, minMass;
  if (has(o, "outliers")) {
    const int64_t k = getInt(o, "outlierCount");
    auto ids = tokenIds(o.Get("outliers"), V, "outliers");
    // The product with overflow checked: n × k past int64 was undefined behaviour (UBSan).
    int64_t count = 0;
    if (k < 0 || __builtin_mul_overflow(n, k, &count) || static_cast<int64_t>(ids.size()) != count)
      throw Napi::RangeError::New(env, "outliers has " + std::to_string(ids.size()) +
                                           " ids; expected targets×outlierCount = " + std::to_string(n) + "×" +
                                           std::to_string(k));
    outliers = torch::tensor(ids, torch::kInt64).view({n, k});
    minMass = torch::tensor(doubles(o.Get("minMass"), "minMass"), torch::kFloat64).to(torch::kFloat32);
    if (method != "gradient") throw Napi::TypeError::New(env, "outlier targets use method 'gradient' (Eq. 3)");
  }
  const double alpha = getNumber(o, "alpha", 1.0), beta = getNumber(o, "beta", 1.0);
  const bool subBatch = getBool(o, "subBatch", true);
  using R = targets::EntropyResult;
  return runAsync<R>(
      env,
      [=]() {
        auto z = targets::seededLogits(seeds, V, device);
        auto h64 = torch::tensor(h, torch::kFloat64).to(device);
        if (method == "temperature") return targets::byTemperature(z, h64, eps, maxIter, subBatch);
        auto hh = h64.to(torch::kFloat32);
        return targets::byGradient(z, hh, eps, maxIter, outliers.defined() ? outliers.to(device) : outliers,
                                   minMass.defined() ? minMass.to(device) : minMass, alpha, beta, subBatch);
      },
      [](Napi::Env env, R& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("targets", TensorHandle::Wrap(env, r.probs.contiguous()));
        out.Set("entropyNats", toFloat32Array(env, r.entropyNats));
        out.Set("iterations", toInt32Array(env, r.iterations));
        out.Set("converged", toInt32Array(env, r.converged.to(torch::kInt32)));
        out.Set("outlierMass", toFloat32Array(env, r.outlierMass));
        return out;
      });
}

// A Float32Array rows×vocab seen as a CPU tensor over its own memory, not copied: the call that
// reads it is synchronous, so the array outlives the view.
torch::Tensor arrayView(const Napi::Value& v, const Napi::Value& vocabValue) {
  auto env = v.Env();
  const int64_t vocab = integerValue(vocabValue, "targetRowStats(array, vocab): vocab");
  auto a = v.As<Napi::Float32Array>();
  const auto n = static_cast<int64_t>(a.ElementLength());
  if (vocab < 1 || n % vocab != 0)
    throw Napi::RangeError::New(
        env, "targets has " + std::to_string(n) + " values, not a whole number of rows of " + std::to_string(vocab));
  return torch::from_blob(a.Data(), {n / vocab, vocab}, torch::kFloat32);
}

// targetRowStats(targets: NativeTensor rows×vocab | Float32Array, vocab?): targets::rowStats, for
// the distribution rule. An array is read in place (the host's threads, not one JavaScript loop:
// 0.85 s for 512 × 128256 values there).
Napi::Value TargetRowStats(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1) throw Napi::TypeError::New(env, "targetRowStats(targets)");
  const bool isArray = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  auto t = isArray ? arrayView(info[0], info[1]) : TensorHandle::TensorOf(info[0], "targets");
  if (t.dim() != 2) throw Napi::RangeError::New(env, "targets must be a rows×vocab tensor");
  if (!t.is_floating_point()) throw Napi::TypeError::New(env, "targets must hold floating-point values");
  auto s = targets::rowStats(t);
  auto doubles = [&](const std::vector<double>& v) {
    auto a = Napi::Float64Array::New(env, v.size());
    std::copy(v.begin(), v.end(), a.Data());
    return a;
  };
  auto out = Napi::Object::New(env);
  out.Set("firstBad", Napi::Number::New(env, static_cast<double>(s.firstBad)));
  out.Set("firstBadValue", Napi::Number::New(env, s.firstBadValue));
  out.Set("sums", doubles(s.sums));
  out.Set("entropyBits", doubles(s.entropyBits));
  return out;
}

}  // namespace

void RegisterTargetOps(Napi::Env env, Napi::Object exports) {
  exports.Set("synthesizeEntropyTargets", Napi::Function::New(env, SynthesizeEntropyTargets));
  exports.Set("targetRowStats", Napi::Function::New(env, TargetRowStats));
}

}  // namespace dp
