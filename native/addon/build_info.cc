// What was built against what, and the threads in use: `distprompt info` prints this.
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/Context.h>
#include <sched.h>
#include <torch/version.h>

#include <cmath>
#include <cstdlib>

#include "addon/common.h"
#include "addon/registry.h"
#include "addon/tensor_handle.h"
#include "kernels/kl.h"

namespace dp {

// Cores this process may run on (cgroup/affinity aware), not the machine's total.
static int availableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

static Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", TORCH_VERSION);
  o.Set("torchPrefix", DP_TORCH_PREFIX);
#ifdef DP_WITH_CUDA
  o.Set("cudaBuild", true);
  o.Set("cudaDevices", Napi::Number::New(env, torch::cuda::device_count()));
#else
  o.Set("cudaBuild", false);
  o.Set("cudaDevices", 0);
#endif
  o.Set("threads", at::get_num_threads());
  o.Set("availableCores", availableCores());
  o.Set("mkl", at::hasMKL());
  o.Set("klCpuKernel", dp::kernels::klCpuVariant());
  o.Set("parallelInfo", at::get_parallel_info());
  o.Set("config", at::show_config());
  o.Set("liveTensors", Napi::Number::New(env, TensorHandle::Live()));
  return o;
}

// More threads than any machine has cores is a mistake: asked of OpenMP (100,000), the next op
// ended the process (a segmentation fault, or libgomp's "out of memory" abort).
constexpr double kMaxThreads = 1024;

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(info.Env(), "setThreads(n): n must be a number");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= kMaxThreads) || n != std::floor(n))
    throw Napi::RangeError::New(info.Env(), "setThreads(n): n must be a whole number of threads from 1 to " +
                                                std::to_string(static_cast<int>(kMaxThreads)) + ", got " +
                                                Napi::Number::New(info.Env(), n).ToString().Utf8Value());
  setConfiguredThreads(static_cast<int>(n));
  return info.Env().Undefined();
}

static Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), TensorHandle::Live());
}

// Seconds per [m,k]×[k,n] matmul on a device and dtype: the same-run yardstick the benchmarks
// divide achieved FLOP/s by (bench/, never tests).
static Napi::Value MatmulSeconds(const Napi::CallbackInfo& info) {
  auto o = argObject(info, 0, "matmulSeconds({ m, k, n, dtype, device, reps })");
  int64_t m = getInt(o, "m"), k = getInt(o, "k"), n = getInt(o, "n"), reps = getInt(o, "reps", 5);
  auto device = parseDevice(getString(o, "device", "cpu"));
  auto dtype = parseDtype(getString(o, "dtype", "float32"));
  return runAsync<double>(
      info.Env(),
      [=]() {
        torch::NoGradGuard ng;
        auto opts = torch::TensorOptions().dtype(dtype).device(device);
        // Into a preallocated output: the yardstick is the GEMM itself, not fresh pages for C.
        auto a = torch::randn({m, k}, opts), b = torch::randn({k, n}, opts), c = torch::empty({m, n}, opts);
        return secondsPerCall(device, reps, [&]() { at::mm_out(c, a, b); });
      },
      [](Napi::Env env, double& s) -> Napi::Value { return Napi::Number::New(env, s); });
}

// Seconds per copy of `bytes` between two preallocated buffers on a device: the same-run memory
// bandwidth yardstick (2 × bytes moved per copy) that bench/profile.ts sets byte floors by.
static Napi::Value CopySeconds(const Napi::CallbackInfo& info) {
  auto o = argObject(info, 0, "copySeconds({ bytes, device, reps })");
  int64_t bytes = getInt(o, "bytes"), reps = getInt(o, "reps", 5);
  if (bytes < 4 || reps < 1)
    throw Napi::RangeError::New(info.Env(), "copySeconds: bytes must be at least 4 and reps at least 1");
  auto device = parseDevice(getString(o, "device", "cpu"));
  return runAsync<double>(
      info.Env(),
      [=]() {
        torch::NoGradGuard ng;
        auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
        // Filled, so that neither buffer is a page the first copy would fault in.
        auto src = torch::ones({bytes / 4}, opts), dst = torch::zeros({bytes / 4}, opts);
        return secondsPerCall(device, reps, [&]() { dst.copy_(src); });
      },
      [](Napi::Env env, double& s) -> Napi::Value { return Napi::Number::New(env, s); });
}

void RegisterBuildInfo(Napi::Env env, Napi::Object exports) {
  // Default: every core this process may use; lib/native applies DISTPROMPT_THREADS through setThreads.
  setConfiguredThreads(availableCores());
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("liveTensors", Napi::Function::New(env, LiveTensors));
  exports.Set("matmulSeconds", Napi::Function::New(env, MatmulSeconds));
  exports.Set("copySeconds", Napi::Function::New(env, CopySeconds));
}

}  // namespace dp
