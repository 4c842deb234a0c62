// Shared plumbing for every N-API entry point: promise workers that run on libuv's pool,
// conversions between typed arrays and tensors, and device parsing.
//
// Pattern (sharp's "baton, then worker"): arguments are read and copied into plain C++
// values on the JS thread; the worker's Work() touches no N-API at all; results are turned
// into JS values in Done() back on the JS thread.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace dp {

// Every worker thread must see the thread count chosen at load time: OpenMP's setting is
// per thread, and libuv's pool threads start with the library default.
void applyThreadSettings();
int configuredThreads();

std::string errorMessage(const std::exception& e);

template <typename R>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<R()>;
  using Done = std::function<Napi::Value(Napi::Env, R&)>;
  PromiseWorker(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env, "distprompt"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)) {}

  void Execute() override {
    try {
      applyThreadSettings();
      result_ = work_();
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(errorMessage(e));
    } catch (...) {
      SetError("distprompt: unknown native error");
    }
  }
  void OnOK() override {
    try {
      deferred_.Resolve(done_(Env(), result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(Env(), errorMessage(e)).Value());
    }
    // Release captured state (models, tensors) on the JS thread, where it was made.
    work_ = nullptr;
    done_ = nullptr;
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(e.Value());
    work_ = nullptr;
    done_ = nullptr;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // A call that ends while its thread's environment exits (process.exit() in a worker thread)
  // can settle nothing: every N-API call fails there, and the Napi::Error that failure throws
  // escaped from libuv's callback and aborted the whole process. Its result is dropped instead.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (const Napi::Error&) {
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  R result_{};
};

// Queue `work` on the pool; `done` converts its result on the JS thread. Captured shared_ptrs
// pin the objects the work uses until it has finished (a disposed model cannot vanish mid-call).
template <typename R>
Napi::Promise runAsync(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R&)> done) {
  auto* w = new PromiseWorker<R>(env, std::move(work), std::move(done));
  auto p = w->Promise();
  w->Queue();
  return p;
}

// ---- argument helpers (JS thread only) ----
Napi::Object argObject(const Napi::CallbackInfo& info, size_t i, const char* what);
int64_t getInt(const Napi::Object& o, const char* key, int64_t fallback = INT64_MIN);
// A JavaScript number that must be an integer (|v| ≤ 2^53), refused as `what` otherwise.
int64_t integerValue(const Napi::Value& v, const std::string& what);
double getNumber(const Napi::Object& o, const char* key, double fallback);
bool getBool(const Napi::Object& o, const char* key, bool fallback);
std::string getString(const Napi::Object& o, const char* key, const std::string& fallback = "");
bool has(const Napi::Object& o, const char* key);

// Required fields of an object TypeScript has already validated: the native side keeps no
// defaults of its own, so a missing field is an error that names it, e.g.
// requireNumber(o, "lr", "NativeTuner: options") -> "NativeTuner: options.lr is missing".
double requireNumber(const Napi::Object& o, const char* key, const std::string& where);
int64_t requireInt(const Napi::Object& o, const char* key, const std::string& where);
bool requireBool(const Napi::Object& o, const char* key, const std::string& where);
std::string requireString(const Napi::Object& o, const char* key, const std::string& where);
// Every own key of `o` must be in `known`; the first that is not is an error naming it (a field
// the native side would silently ignore is one TypeScript believes it set).
void rejectUnknownKeys(const Napi::Object& o, const std::vector<std::string>& known, const std::string& where);

// ---- field reflection: a plain struct's fields as one table of (name, member) rows ----
// One table serves reading a JS object into the struct (every field required, by its type) and
// echoing the struct back, so the two directions cannot disagree about a field.
template <typename S>
using Member = std::variant<int64_t S::*, double S::*, bool S::*, std::string S::*>;
template <typename S>
using FieldTable = std::vector<std::pair<const char*, Member<S>>>;

template <typename S>
std::vector<std::string> namesOf(const FieldTable<S>& fields) {
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f.first);
  return names;
}

// std::visit compiles every alternative for every struct; for a struct of bools only (KernelChoice)
// GCC then warns that the never-taken int64/double writes run past it. They are never taken: each
// table row holds the member pointer of its field's own type.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
template <typename S>
void readField(const Napi::Object& o, const char* key, const Member<S>& m, S& out, const std::string& where) {
  std::visit(
      [&](auto member) {
        using T = std::remove_cvref_t<decltype(out.*member)>;
        if constexpr (std::is_same_v<T, int64_t>)
          out.*member = requireInt(o, key, where);
        else if constexpr (std::is_same_v<T, double>)
          out.*member = requireNumber(o, key, where);
        else if constexpr (std::is_same_v<T, bool>)
          out.*member = requireBool(o, key, where);
        else
          out.*member = requireString(o, key, where);
      },
      m);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <typename S>
Napi::Object echoFields(Napi::Env env, const FieldTable<S>& fields, const S& in) {
  auto o = Napi::Object::New(env);
  for (const auto& field : fields)
    std::visit(
        [&, key = field.first](auto member) {
          using T = std::remove_cvref_t<decltype(in.*member)>;
          if constexpr (std::is_same_v<T, int64_t>)
            o.Set(key, Napi::Number::New(env, static_cast<double>(in.*member)));
          else if constexpr (std::is_same_v<T, double>)
            o.Set(key, Napi::Number::New(env, in.*member));
          else if constexpr (std::is_same_v<T, bool>)
            o.Set(key, Napi::Boolean::New(env, in.*member));
          else
            o.Set(key, Napi::String::New(env, in.*member));
        },
        field.second);
  return o;
}

// Token ids from an Int32Array, each inside [0, vocab): one outside would index past the
// embedding table, so this guard stays native. `what` names the argument in the error.
std::vector<int64_t> tokenIds(const Napi::Value& v, int64_t vocab, const std::string& what);
// Seeds from a Float64Array, each a non-negative integer below 2^53 (checked before the cast).
std::vector<uint64_t> seedsFrom(const Napi::Value& v, const std::string& what);
// The same ids as a [vocab] bool mask (true = banned).
torch::Tensor bannedMask(const Napi::Value& v, int64_t vocab, const std::string& what);

// A Float32Array of exactly the shape's element count, or throws naming `name`.
void floatTensorCheck(const Napi::Value& v, const std::vector<int64_t>& shape, const char* name);
// Copy a Float32Array / Int32Array into a new CPU tensor of the given shape (checks length).
torch::Tensor floatTensorFrom(const Napi::Value& v, std::vector<int64_t> shape, const char* name);
torch::Tensor intTensorFrom(const Napi::Value& v, std::vector<int64_t> shape, const char* name);
// Float32 tensor (any device/dtype) -> new Float32Array; Int tensor -> Int32Array.
Napi::Float32Array toFloat32Array(Napi::Env env, const torch::Tensor& t);
Napi::Int32Array toInt32Array(Napi::Env env, const torch::Tensor& t);

// "cpu", "cuda", "cuda:N" with clear errors when the build or machine lacks the device.
torch::Device parseDevice(const std::string& s);
torch::ScalarType parseDtype(const std::string& s);
std::string dtypeName(torch::ScalarType t);

// The benchmarks' timing loop: one warm-up call, then the mean seconds of `reps` calls, with the
// device synchronised around them so a GPU's queued work is counted.
double secondsPerCall(const torch::Device& device, int64_t reps, const std::function<void()>& call);

}  // namespace dp
