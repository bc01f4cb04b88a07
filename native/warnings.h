// libtorch's warnings (TORCH_WARN) routed to JavaScript instead of stderr:
// a c10 warning handler buffers them; JS drains the buffer (takeWarnings)
// and turns them into Node warnings (process.emitWarning).
#pragma once

#include <napi.h>

namespace selfsup {

// installWarningHandler(onWarning): routes libtorch's warnings of the main
// thread (and those autograd replays there) into a buffer and calls
// onWarning() soon after, from the event loop; takeWarnings() -> [{ message,
// file, line, function }] empties the buffer.
void InitWarnings(Napi::Env env, Napi::Object exports);

// While alive, libtorch's warnings on this thread are dropped (for warnings
// that are expected and say nothing to the user, e.g. ending a capture that
// failed before it queued any work).
class ScopedWarningSilence {
 public:
  ScopedWarningSilence();
  ~ScopedWarningSilence();
  ScopedWarningSilence(const ScopedWarningSilence&) = delete;
  ScopedWarningSilence& operator=(const ScopedWarningSilence&) = delete;

 private:
  void* previous_;
};

}  // namespace selfsup
