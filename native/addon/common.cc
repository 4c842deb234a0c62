#include "addon/common.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

namespace dp {

static int g_threads = 0;

int configuredThreads() { return g_threads; }

void setConfiguredThreads(int n) {
  g_threads = n;
  at::set_num_threads(n);
}

void applyThreadSettings() {
  if (g_threads > 0 && at::get_num_threads() != g_threads) at::set_num_threads(g_threads);
}

std::string errorMessage(const std::exception& e) {
  if (auto* ce = dynamic_cast<const c10::Error*>(&e)) return ce->what_without_backtrace();
  return e.what();
}

Napi::Object argObject(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsObject())
    throw Napi::TypeError::New(info.Env(), std::string("expected an options object: ") + what);
  return info[i].As<Napi::Object>();
}

bool has(const Napi::Object& o, const char* key) {
  return o.Has(key) && !o.Get(key).IsUndefined() && !o.Get(key).IsNull();
}

int64_t getInt(const Napi::Object& o, const char* key, int64_t fallback) {
  if (!has(o, key)) {
    if (fallback == INT64_MIN) throw Napi::TypeError::New(o.Env(), std::string("missing integer option '") + key + "'");
    return fallback;
  }
  return integerValue(o.Get(key), std::string("option '") + key + "'");
}

int64_t integerValue(const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  // Range first: casting NaN, ±inf or a value past int64 to int64_t is undefined behaviour, and
  // Int64Value() would read 2.5 as 2.
  if (!(std::abs(d) <= 9007199254740991.0) || d != std::floor(d))
    throw Napi::TypeError::New(v.Env(), what + " must be an integer");
  return static_cast<int64_t>(d);
}

double getNumber(const Napi::Object& o, const char* key, double fallback) {
  if (!has(o, key)) return fallback;
  auto v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool getBool(const Napi::Object& o, const char* key, bool fallback) {
  if (!has(o, key)) return fallback;
  return o.Get(key).ToBoolean().Value();
}

std::string getString(const Napi::Object& o, const char* key, const std::string& fallback) {
  if (!has(o, key)) return fallback;
  auto v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

static Napi::Value required(const Napi::Object& o, const char* key, const std::string& where) {
  if (!has(o, key)) throw Napi::TypeError::New(o.Env(), where + "." + key + " is missing");
  return o.Get(key);
}

double requireNumber(const Napi::Object& o, const char* key, const std::string& where) {
  auto v = required(o, key, where);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), where + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t requireInt(const Napi::Object& o, const char* key, const std::string& where) {
  double d = requireNumber(o, key, where);
  if (!(std::abs(d) <= 9007199254740991.0) || d != std::floor(d))
    throw Napi::TypeError::New(o.Env(), where + "." + key + " must be an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

bool requireBool(const Napi::Object& o, const char* key, const std::string& where) {
  auto v = required(o, key, where);
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), where + "." + key + " must be true or false");
  return v.As<Napi::Boolean>().Value();
}

std::string requireString(const Napi::Object& o, const char* key, const std::string& where) {
  auto v = required(o, key, where);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), where + "." + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

void rejectUnknownKeys(const Napi::Object& o, const std::vector<std::string>& known, const std::string& where) {
  auto keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    auto key = keys.Get(i).ToString().Utf8Value();
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw Napi::TypeError::New(o.Env(), where + "." + key + " is not a known field");
  }
}

std::vector<int64_t> tokenIds(const Napi::Value& v, int64_t vocab, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), what + " must be an Int32Array of token ids");
  auto a = v.As<Napi::Int32Array>();
  std::vector<int64_t> ids(a.Data(), a.Data() + a.ElementLength());
  for (auto id : ids)
    if (id < 0 || id >= vocab)
      throw Napi::RangeError::New(v.Env(), what + " token id " + std::to_string(id) +
                                               " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  return ids;
}

std::vector<uint64_t> seedsFrom(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(v.Env(), what + " must be a Float64Array of non-negative integers");
  auto a = v.As<Napi::Float64Array>();
  std::vector<uint64_t> out;
  for (size_t i = 0; i < a.ElementLength(); ++i) {
    const double s = a[i];
    // Checked before the cast: a negative, NaN or huge double cast to uint64_t is undefined.
    if (!(s >= 0) || s != std::floor(s) || s > 9007199254740991.0) {
      std::ostringstream shown;  // 1e+300, not its 301 digits
      shown << s;
      throw Napi::RangeError::New(v.Env(), what + " holds " + shown.str() + ", not a non-negative integer below 2^53");
    }
    out.push_back(static_cast<uint64_t>(s));
  }
  return out;
}

torch::Tensor bannedMask(const Napi::Value& v, int64_t vocab, const std::string& what) {
  auto mask = torch::zeros({vocab}, torch::kBool);
  auto ids = tokenIds(v, vocab, what);
  if (!ids.empty()) mask.index_put_({torch::tensor(ids, torch::kInt64)}, true);
  return mask;
}

static std::string shapeStr(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? "×" : "") << shape[i];
  return os.str();
}

// An array of `length` elements must hold exactly the shape's count. The count is formed with
// overflow checked: rows × vocab of 2^32 each overflowed int64 (undefined behaviour, which could
// wrap to the array's length), and two negative sizes multiplied to a positive count.
static void checkLength(const Napi::Env& env, size_t length, const std::vector<int64_t>& shape, const char* name) {
  int64_t n = 1;
  for (auto s : shape) {
    if (s < 0)
      throw Napi::RangeError::New(env, std::string(name) + " shape " + shapeStr(shape) + " has a negative size");
    if (__builtin_mul_overflow(n, s, &n))
      throw Napi::RangeError::New(
          env, std::string(name) + " shape " + shapeStr(shape) + " holds more values than an array can");
  }
  if (static_cast<int64_t>(length) != n)
    throw Napi::RangeError::New(env, std::string(name) + " has " + std::to_string(length) + " values; expected " +
                                         shapeStr(shape) + " = " + std::to_string(n));
}

void floatTensorCheck(const Napi::Value& v, const std::vector<int64_t>& shape, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Float32Array");
  checkLength(v.Env(), v.As<Napi::Float32Array>().ElementLength(), shape, name);
}

torch::Tensor floatTensorFrom(const Napi::Value& v, std::vector<int64_t> shape, const char* name) {
  floatTensorCheck(v, shape, name);
  return torch::from_blob(v.As<Napi::Float32Array>().Data(), shape, torch::kFloat32).clone();
}

torch::Tensor intTensorFrom(const Napi::Value& v, std::vector<int64_t> shape, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  checkLength(v.Env(), a.ElementLength(), shape, name);
  return torch::from_blob(a.Data(), shape, torch::kInt32).to(torch::kInt64);
}

Napi::Float32Array toFloat32Array(Napi::Env env, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  auto out = Napi::Float32Array::New(env, c.numel());
  if (c.numel()) std::memcpy(out.Data(), c.data_ptr<float>(), c.numel() * sizeof(float));
  return out;
}

Napi::Int32Array toInt32Array(Napi::Env env, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kInt32).contiguous();
  auto out = Napi::Int32Array::New(env, c.numel());
  if (c.numel()) std::memcpy(out.Data(), c.data_ptr<int32_t>(), c.numel() * sizeof(int32_t));
  return out;
}

double secondsPerCall(const torch::Device& device, int64_t reps, const std::function<void()>& call) {
  auto sync = [&]() {
#ifdef DP_WITH_CUDA
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
#endif
  };
  call();  // warm-up
  sync();
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < reps; ++i) call();
  sync();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

torch::Device parseDevice(const std::string& s) {
  if (s == "cpu") return torch::Device(torch::kCPU);
  if (s == "cuda" || s.rfind("cuda:", 0) == 0) {
#ifndef DP_WITH_CUDA
    throw std::runtime_error("device '" + s + "' asked for, but distprompt was built against a CPU-only libtorch (" +
                             std::string(DP_TORCH_PREFIX) + "): rebuild against a CUDA libtorch (README, 'GPU build')");
#else
    int64_t count = torch::cuda::device_count();
    int64_t index = 0;
    if (s.size() > 5) {
      try {
        size_t used = 0;
        index = std::stoll(s.substr(5), &used);
        if (used != s.size() - 5) throw std::invalid_argument("x");
      } catch (...) {
        throw std::runtime_error("device '" + s + "' is not 'cpu', 'cuda' or 'cuda:N'");
      }
    }
    if (count == 0)
      throw std::runtime_error("device '" + s + "' asked for, but no CUDA device is visible on this machine");
    if (index < 0 || index >= count)
      throw std::runtime_error("device '" + s + "' is not there: this machine has " + std::to_string(count) +
                               " CUDA device(s), cuda:0 to cuda:" + std::to_string(count - 1));
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
#endif
  }
  throw std::runtime_error("device '" + s + "' is not 'cpu', 'cuda' or 'cuda:N'");
}

torch::ScalarType parseDtype(const std::string& s) {
  if (s == "float32") return torch::kFloat32;
  if (s == "bfloat16") return torch::kBFloat16;
  if (s == "float16") return torch::kFloat16;
  if (s == "float64") return torch::kFloat64;
  throw std::runtime_error("dtype '" + s + "' is not one of float32, bfloat16, float16, float64");
}

std::string dtypeName(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32:
      return "float32";
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kFloat16:
      return "float16";
    case torch::kFloat64:
      return "float64";
    default:
      return c10::toString(t);
  }
}

}  // namespace dp
