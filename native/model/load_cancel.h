// A model's build checks a cancel flag between tensors: a load given up (Ctrl-C, an aborted
// AbortSignal) stops within one tensor, where Node's exit would otherwise wait on the pool for
// every gigabyte of an 8B checkpoint to be read or drawn.
#pragma once

#include <atomic>
#include <stdexcept>

namespace dp {

// The flag a caller sets to stop a build; null: nothing can stop it.
using LoadCancel = const std::atomic<bool>*;

struct LoadCancelled : std::runtime_error {
  LoadCancelled() : std::runtime_error("distprompt: model load cancelled") {}
};

inline void checkLoadCancel(LoadCancel cancel) {
  if (cancel && cancel->load(std::memory_order_relaxed)) throw LoadCancelled();
}

}  // namespace dp
