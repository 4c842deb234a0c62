#include "addon/cpu_cache.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

// Under AddressSanitizer (scripts/check-sanitizers.sh) the blocks this allocator keeps would hide
// the errors ASan is there to find: a read past a tensor's end lands in the rounding slack (up to
// 63 bytes, or a page) and a use after free lands in a cached block. So the slack, the header and
// every cached block are poisoned, as malloc's own would be. Without ASan these are no-ops.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define DP_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define DP_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define DP_POISON(p, n) ((void)(p), (void)(n))
#define DP_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace dp::cpucache {
namespace {

// Every block carries a 64-byte header (keeps the data 64-byte aligned, as libtorch's own
// allocator does) holding its size, so the deleter needs no lookup table.
constexpr size_t kAlign = 64;
constexpr size_t kHeader = 64;
// Smaller blocks are glibc's business (it keeps them in its arenas anyway).
constexpr size_t kCacheFrom = 256 * 1024;
struct Header {
  size_t bytes;  // data bytes, rounded as allocated
};

// A size not asked for in this many allocations of cached sizes has its blocks given back. A
// tuner's epoch asks for its own sizes every epoch (a few hundred asks on GPT-2), and keeps them;
// the sizes of a batch whose rows stop mid-chunk (every count of running rows gives its own) would
// otherwise stay cached to the limit, a quarter of the machine's memory, over a long sweep.
constexpr uint64_t kStaleAsks = 4096;
// How often (in asks) the sizes are looked over for stale ones.
constexpr uint64_t kSweepEvery = 256;

struct Bin {
  std::vector<void*> blocks;  // raw blocks of this size, free for reuse
  uint64_t asked = 0;         // the ask that last wanted (or freed) this size
};

struct State {
  std::mutex mu;
  std::unordered_map<size_t, Bin> free;  // data bytes -> blocks
  uint64_t asks = 0;                     // allocations of cached sizes so far
  Stats s;
};

// Never destroyed: tensors may be freed by static destructors after ours would have run.
State& state() {
  static State* st = new State();
  return *st;
}

size_t roundedSize(size_t n) {
  // Round cached sizes to whole pages so near-identical requests share blocks.
  return n >= kCacheFrom ? (n + 4095) / 4096 * 4096 : (n + kAlign - 1) / kAlign * kAlign;
}

std::string mib(int64_t b) { return std::to_string((b + (1 << 20) - 1) >> 20) + " MiB"; }

void* rawAlloc(size_t bytes) {
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, kHeader + bytes) != 0 || !p) return nullptr;
  return p;
}

void freeBlocks(State& st, size_t bytes, std::vector<void*>& list, int64_t keepUnder) {
  while (!list.empty() && st.s.cachedBytes > keepUnder) {
    DP_UNPOISON(list.back(), kHeader + bytes);
    std::free(list.back());
    list.pop_back();
    st.s.cachedBytes -= static_cast<int64_t>(bytes);
  }
}

// Evict cached blocks (under the lock) until `need` more bytes fit under the limit.
void evictFor(State& st, size_t need) {
  const int64_t keepUnder = st.s.limitBytes - static_cast<int64_t>(need);
  for (auto it = st.free.begin(); it != st.free.end() && st.s.cachedBytes > keepUnder;) {
    freeBlocks(st, it->first, it->second.blocks, keepUnder);
    it = it->second.blocks.empty() ? st.free.erase(it) : std::next(it);
  }
}

// Give back (under the lock) every block of a size not asked for in the last kStaleAsks asks.
void evictStale(State& st) {
  for (auto it = st.free.begin(); it != st.free.end();) {
    if (st.asks - it->second.asked > kStaleAsks) {
      freeBlocks(st, it->first, it->second.blocks, 0);
      it = st.free.erase(it);
    } else {
      ++it;
    }
  }
}

void deleteBlock(void* data) {
  if (!data) return;
  void* raw = static_cast<char*>(data) - kHeader;
  DP_UNPOISON(raw, kHeader);
  auto* h = static_cast<Header*>(raw);
  const size_t bytes = h->bytes;
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  st.s.allocatedBytes -= static_cast<int64_t>(bytes);
  if (bytes >= kCacheFrom && static_cast<int64_t>(bytes) <= st.s.limitBytes) {
    evictFor(st, bytes);
    DP_POISON(data, bytes);  // a use after free reads a poisoned block, not a stale tensor
    auto& bin = st.free[bytes];
    bin.blocks.push_back(raw);
    bin.asked = st.asks;
    st.s.cachedBytes += static_cast<int64_t>(bytes);
    return;
  }
  std::free(raw);
}

struct CachingCpuAllocator final : c10::Allocator {
  // libtorch < 2.3 declares allocate() const, later versions non-const: define both, so this
  // overrides whichever the headers declare virtual.
  c10::DataPtr allocate(size_t n) { return make(n); }
  c10::DataPtr allocate(size_t n) const { return make(n); }
  c10::DeleterFnPtr raw_deleter() const override { return &deleteBlock; }
  // Pure virtual from libtorch 2.3 on; a plain method before.
  void copy_data(void* dest, const void* src, std::size_t count) const {
    if (count) std::memcpy(dest, src, count);
  }

  static c10::DataPtr make(size_t n) {
    if (n == 0) return {nullptr, nullptr, &deleteBlock, c10::Device(c10::DeviceType::CPU)};
    const size_t bytes = roundedSize(n);
    void* raw = nullptr;
    auto& st = state();
    {
      std::lock_guard<std::mutex> lock(st.mu);
      if (bytes >= kCacheFrom && ++st.asks % kSweepEvery == 0) evictStale(st);
      auto it = bytes >= kCacheFrom ? st.free.find(bytes) : st.free.end();
      if (it != st.free.end()) it->second.asked = st.asks;
      if (it != st.free.end() && !it->second.blocks.empty()) {
        raw = it->second.blocks.back();
        it->second.blocks.pop_back();
        st.s.cachedBytes -= static_cast<int64_t>(bytes);
        st.s.hits++;
      } else if (bytes >= kCacheFrom) {
        st.s.misses++;
      }
      const int64_t limit = st.s.memoryLimitBytes;
      if (limit > 0 && st.s.allocatedBytes + static_cast<int64_t>(bytes) > limit) {
        if (raw) {  // a cached block goes back where it came from
          st.free[bytes].blocks.push_back(raw);
          st.s.cachedBytes += static_cast<int64_t>(bytes);
        }
        TORCH_CHECK_WITH(OutOfMemoryError, false, "CPU out of memory: tried to allocate ", mib(bytes), " with ",
                         mib(st.s.allocatedBytes), " in use, over the limit of ", mib(limit),
                         " (DISTPROMPT_CPU_MEMORY_MB)");
      }
      st.s.allocatedBytes += static_cast<int64_t>(bytes);
      st.s.peakBytes = std::max(st.s.peakBytes, st.s.allocatedBytes);
    }
    if (!raw) {
      raw = rawAlloc(bytes);
      if (!raw) {
        // The OS said no: drop the cache and try once more before reporting it.
        release();
        raw = rawAlloc(bytes);
      }
      if (!raw) {
        std::lock_guard<std::mutex> lock(st.mu);
        st.s.allocatedBytes -= static_cast<int64_t>(bytes);
        TORCH_CHECK_WITH(OutOfMemoryError, false, "CPU out of memory: tried to allocate ", mib(bytes), " with ",
                         mib(st.s.allocatedBytes), " in use");
      }
      static_cast<Header*>(raw)->bytes = bytes;
    }
    void* data = static_cast<char*>(raw) + kHeader;
    // Only the n bytes asked for are addressable: the header and the rounding slack are not.
    DP_UNPOISON(data, n);
    DP_POISON(raw, kHeader);
    DP_POISON(static_cast<char*>(data) + n, bytes - n);
    return {data, data, &deleteBlock, c10::Device(c10::DeviceType::CPU)};
  }
};

int64_t defaultLimit() {
  if (const char* s = std::getenv("DISTPROMPT_CPU_CACHE_MB")) return std::max<int64_t>(0, std::atoll(s)) << 20;
  // A quarter of physical memory: enough for a large batch's working set, never most of RAM.
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return int64_t{2} << 30;
  return static_cast<int64_t>(pages) * page / 4;
}

}  // namespace

void install() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& st = state();
    {
      std::lock_guard<std::mutex> lock(st.mu);
      st.s.limitBytes = defaultLimit();
      if (const char* m = std::getenv("DISTPROMPT_CPU_MEMORY_MB"))
        st.s.memoryLimitBytes = std::max<int64_t>(0, std::atoll(m)) << 20;
    }
    static CachingCpuAllocator* alloc = new CachingCpuAllocator();
    // Priority above libtorch's default registration (0), so ours is the one in use.
    c10::SetCPUAllocator(alloc, /*priority=*/100);
  });
}

Stats stats() {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  return st.s;
}

void resetPeak() {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  st.s.peakBytes = st.s.allocatedBytes;
}

void setMemoryLimit(int64_t bytes) {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  st.s.memoryLimitBytes = std::max<int64_t>(0, bytes);
}

void release() {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  for (auto& [bytes, bin] : st.free)
    for (void* raw : bin.blocks) {
      DP_UNPOISON(raw, kHeader + bytes);
      std::free(raw);
    }
  st.free.clear();
  st.s.cachedBytes = 0;
}

}  // namespace dp::cpucache
