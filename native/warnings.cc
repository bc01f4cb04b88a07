#include "warnings.h"

#include <c10/util/Exception.h>
#include <torch/version.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "handle.h"

// libtorch 2.0 made warnings a class (c10::Warning) and moved the handler
// functions from c10::Warning:: to c10::WarningUtils::.
#if TORCH_VERSION_MAJOR >= 2
#define SELFSUP_WARNING_UTILS c10::WarningUtils
#else
#define SELFSUP_WARNING_UTILS c10::Warning
#endif

namespace selfsup {
namespace {

struct Record {
  std::string message;
  std::string file;
  std::string function;
  uint32_t line;
};

std::mutex buffer_mutex;
std::vector<Record> buffer;
// At most one pending call into JS at a time: warnings raised in a loop are
// drained together.
std::atomic<bool> notify_pending{false};
Napi::ThreadSafeFunction notify;
bool notify_set = false;

void Push(const c10::SourceLocation& loc, const std::string& msg) {
  {
    std::lock_guard<std::mutex> lock(buffer_mutex);
    buffer.push_back({msg, loc.file ? loc.file : "", loc.function ? loc.function : "", loc.line});
  }
  if (notify_set && !notify_pending.exchange(true)) notify.NonBlockingCall();
}

class BufferingHandler : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override { Push(warning.source_location(), warning.msg()); }
#else
  void process(const c10::SourceLocation& loc, const std::string& msg, const bool /*verbatim*/) override {
    Push(loc, msg);
  }
#endif
};

class DroppingHandler : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning&) override {}
#else
  void process(const c10::SourceLocation&, const std::string&, const bool) override {}
#endif
};

BufferingHandler buffering_handler;
DroppingHandler dropping_handler;

Napi::Value InstallWarningHandler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction())
    throw Napi::TypeError::New(env, "Expected a function for the warning callback but received " +
                                        info[0].ToString().Utf8Value());
  if (notify_set) notify.Release();
  notify = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "selfsup-torch-warnings", 0, 1);
  // An unref'd function does not keep the process alive.
  notify.Unref(env);
  notify_set = true;
  // NOTE: c10's handler is per thread (libtorch >= 2.0); this is the JS
  // thread, where ops run. Autograd's device threads hand their warnings to
  // the thread that called backward, so those arrive here too.
  SELFSUP_WARNING_UTILS::set_warning_handler(&buffering_handler);
  return env.Undefined();
}

Napi::Value TakeWarnings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  notify_pending.store(false);
  std::vector<Record> taken;
  {
    std::lock_guard<std::mutex> lock(buffer_mutex);
    taken.swap(buffer);
  }
  Napi::Array out = Napi::Array::New(env, taken.size());
  for (size_t i = 0; i < taken.size(); ++i) {
    Napi::Object w = Napi::Object::New(env);
    w.Set("message", taken[i].message);
    w.Set("file", taken[i].file);
    w.Set("function", taken[i].function);
    w.Set("line", static_cast<double>(taken[i].line));
    out.Set(static_cast<uint32_t>(i), w);
  }
  return out;
}

}  // namespace

ScopedWarningSilence::ScopedWarningSilence() : previous_(SELFSUP_WARNING_UTILS::get_warning_handler()) {
  SELFSUP_WARNING_UTILS::set_warning_handler(&dropping_handler);
}

ScopedWarningSilence::~ScopedWarningSilence() {
  SELFSUP_WARNING_UTILS::set_warning_handler(static_cast<c10::WarningHandler*>(previous_));
}

void InitWarnings(Napi::Env env, Napi::Object exports) {
  Export<InstallWarningHandler>(env, exports, "installWarningHandler");
  Export<TakeWarnings>(env, exports, "takeWarnings");
}

}  // namespace selfsup
