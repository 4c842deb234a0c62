// A caching CPU allocator for libtorch, installed when the addon loads.
//
// Why: a tuner step allocates the same large buffers every epoch ([rows, vocab] logits and
// their gradient, [rows·positions, 4d] activations). glibc returns every block over 32 MiB
// to the kernel on free and hands out fresh, zero-filled pages on the next allocation, so on
// random:gpt2 at 256 rows ~6% of the time went to page faults and page clearing. Keeping
// freed blocks of the exact size for reuse removes that; it changes no number.
#pragma once

#include <cstdint>

namespace dp::cpucache {

struct Stats {
  int64_t allocatedBytes = 0;  // live blocks handed out (all sizes)
  int64_t peakBytes = 0;       // high-water mark of allocatedBytes since the last reset
  int64_t cachedBytes = 0;     // freed blocks kept for reuse
  int64_t limitBytes = 0;      // most the cache keeps; beyond it blocks go back to the OS
  int64_t hits = 0, misses = 0;
  int64_t memoryLimitBytes = 0;  // 0: none; else allocations beyond it fail as out of memory
};

// Install as libtorch's CPU allocator (once; later calls do nothing). limit 0 disables caching
// but keeps the statistics. DISTPROMPT_CPU_CACHE_MB overrides the default limit.
void install();
Stats stats();
void resetPeak();
// Cap what libtorch may hold on the CPU through this allocator (0 = no cap): beyond it an
// allocation fails with "CPU out of memory", as a GPU's would, so a shared node is not swamped.
// DISTPROMPT_CPU_MEMORY_MB sets it at load.
void setMemoryLimit(int64_t bytes);
// Give every cached block back to the OS (tests, and after a sweep).
void release();

}  // namespace dp::cpucache
