// A flag JavaScript sets to stop a long native call at its next check: the native side of an
// AbortSignal. `new CancelFlag()` in JavaScript, passed as a call's `cancel` option; `cancel()`
// sets it from the JS thread while the call runs on the pool.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

namespace dp {

// The flag of `v` (a CancelFlag), shared with the call that checks it; throws a TypeError naming
// `what` for anything else.
std::shared_ptr<std::atomic<bool>> cancelFlagOf(const Napi::Value& v, const char* what);

}  // namespace dp
