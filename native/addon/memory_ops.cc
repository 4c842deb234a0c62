// Device memory as the benchmarks and the automatic batch size see it: what is allocated, the
// high-water mark, what the allocator keeps cached, and (CUDA) what the device has free.
#include <napi.h>
#include <torch/torch.h>

#ifdef DP_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

#include "addon/common.h"
#include "addon/cpu_cache.h"
#include "addon/registry.h"

namespace dp {

static std::string deviceArg(const Napi::CallbackInfo& info, const char* usage) {
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(usage) + ": device must be a string");
  return info[0].As<Napi::String>().Utf8Value();
}

static Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto device = parseDevice(deviceArg(info, "memoryStats(device)"));
  auto o = Napi::Object::New(env);
  auto num = [&](const char* k, int64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
  if (device.is_cpu()) {
    auto s = cpucache::stats();
    num("allocatedBytes", s.allocatedBytes);
    num("peakBytes", s.peakBytes);
    num("cachedBytes", s.cachedBytes);
    num("cacheLimitBytes", s.limitBytes);
    num("cacheHits", s.hits);
    num("cacheMisses", s.misses);
    num("memoryLimitBytes", s.memoryLimitBytes);
    return o;
  }
#ifdef DP_WITH_CUDA
  c10::cuda::CUDAGuard guard(device.index());
  auto st = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  const auto agg = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  num("allocatedBytes", st.allocated_bytes[agg].current);
  num("peakBytes", st.allocated_bytes[agg].peak);
  num("cachedBytes", st.reserved_bytes[agg].current - st.allocated_bytes[agg].current);
  size_t freeB = 0, totalB = 0;
  if (cudaMemGetInfo(&freeB, &totalB) != cudaSuccess)
    throw std::runtime_error("cudaMemGetInfo failed on " + device.str());
  num("freeBytes", static_cast<int64_t>(freeB));
  num("totalBytes", static_cast<int64_t>(totalB));
#endif
  return o;
}

static Napi::Value ResetPeakMemory(const Napi::CallbackInfo& info) {
  auto device = parseDevice(deviceArg(info, "resetPeakMemory(device)"));
  if (device.is_cpu()) {
    cpucache::resetPeak();
  } else {
#ifdef DP_WITH_CUDA
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
  }
  return info.Env().Undefined();
}

// Hand cached blocks back (CPU: to the OS; CUDA: emptyCache), e.g. between models in a bench.
static Napi::Value ReleaseCachedMemory(const Napi::CallbackInfo& info) {
  auto device = parseDevice(deviceArg(info, "releaseCachedMemory(device)"));
  if (device.is_cpu()) {
    cpucache::release();
  } else {
#ifdef DP_WITH_CUDA
    c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  }
  return info.Env().Undefined();
}

static Napi::Value SetCpuMemoryLimit(const Napi::CallbackInfo& info) {
  // NaN and values past 2^53 are refused: cast to int64_t they are undefined (NaN read as no limit).
  const bool number = info.Length() > 0 && info[0].IsNumber();
  const double bytes = number ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(bytes >= 0 && bytes <= 9007199254740991.0))
    throw Napi::TypeError::New(info.Env(),
                               "setCpuMemoryLimit(bytes): bytes must be a number from 0 to 2^53 (0 = no limit)" +
                                   (number ? ", got " + info[0].ToString().Utf8Value() : std::string()));
  cpucache::setMemoryLimit(static_cast<int64_t>(bytes));
  return info.Env().Undefined();
}

void RegisterMemoryOps(Napi::Env env, Napi::Object exports) {
  cpucache::install();
  exports.Set("memoryStats", Napi::Function::New(env, MemoryStats));
  exports.Set("resetPeakMemory", Napi::Function::New(env, ResetPeakMemory));
  exports.Set("releaseCachedMemory", Napi::Function::New(env, ReleaseCachedMemory));
  exports.Set("setCpuMemoryLimit", Napi::Function::New(env, SetCpuMemoryLimit));
}

}  // namespace dp
