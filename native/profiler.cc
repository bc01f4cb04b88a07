#include "profiler.h"

#include <ATen/core/ivalue.h>
#include <ATen/record_function.h>
#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>
#include <torch/csrc/profiler/orchestration/observer.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "handle.h"

namespace selfsup {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One RecordFunction: an operator, an autograd node or a user range.
struct Event {
  uint32_t name = 0;
  int32_t parent = -1;  // the enclosing event on the same thread
  int32_t depth = 0;
  int32_t scope = 0;    // at::RecordScope
  int32_t thread = 0;   // 1, 2, ... in the order threads first recorded
  bool syncCopy = false;  // a blocking aten::copy_ between host and device
  bool onDevice = false;  // some tensor input is not in host memory
  int64_t start = 0;
  int64_t duration = -1;  // -1 while open
  int64_t children = 0;   // host time of the direct children
  int64_t allocs = 0;
  int64_t allocBytes = 0;
  std::string shapes;
};

// Everything one profile records; guarded by `mutex` (autograd's device
// threads run callbacks too). `generation` changes at every start and stop,
// so a callback that began in another profile (or after stop) is ignored.
struct Session {
  std::mutex mutex;
  bool active = false;
  uint64_t generation = 0;
  at::CallbackHandle handle = 0;
  int64_t origin = 0;
  int32_t threads = 0;
  std::vector<Event> events;
  std::vector<std::string> names;
  std::unordered_map<std::string, uint32_t> nameIndex;
  int64_t allocs = 0, allocBytes = 0, frees = 0, freeBytes = 0;
};

Session& S() {
  static Session* s = new Session();  // never destroyed: callbacks may run during exit
  return *s;
}

// The events open on this thread, innermost last.
struct ThreadStack {
  uint64_t generation = 0;
  int32_t thread = 0;
  std::vector<int32_t> open;
};
thread_local ThreadStack t_stack;

// Under S().mutex.
ThreadStack& Stack(Session& s) {
  if (t_stack.generation != s.generation) {
    t_stack.generation = s.generation;
    t_stack.open.clear();
    t_stack.thread = ++s.threads;
  }
  return t_stack;
}

struct Context : at::ObserverContext {
  uint64_t generation = 0;
  int32_t index = -1;
};

std::string Shapes(c10::ArrayRef<const c10::IValue> inputs) {
  std::string out = "[";
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i > 0) out += ", ";
    out += "[";
    const c10::IValue& v = inputs[i];
    if (v.isTensor() && v.toTensor().defined()) {
      auto sizes = v.toTensor().sizes();
      for (size_t d = 0; d < sizes.size(); ++d) {
        if (d > 0) out += ", ";
        out += std::to_string(sizes[d]);
      }
    }
    out += "]";
  }
  return out + "]";
}

// NOTE: a blocking copy between host and device memory makes the host wait
// for the device (libtorch synchronises the stream after it, both ways):
// every route to the host (to('cpu'), toTypedArray on CUDA) and from it
// (a JS array made into a CUDA tensor) ends in this operator.
bool AnyOnDevice(c10::ArrayRef<const c10::IValue> inputs) {
  for (const c10::IValue& v : inputs) {
    if (v.isTensor() && v.toTensor().defined() && !v.toTensor().is_cpu()) return true;
  }
  return false;
}

bool IsSyncCopy(const char* name, c10::ArrayRef<const c10::IValue> inputs) {
  if (std::string(name) != "aten::copy_" || inputs.size() < 2) return false;
  if (!inputs[0].isTensor() || !inputs[1].isTensor()) return false;
  const at::Tensor& dst = inputs[0].toTensor();
  const at::Tensor& src = inputs[1].toTensor();
  if (!dst.defined() || !src.defined() || dst.is_cpu() == src.is_cpu()) return false;
  bool nonBlocking = inputs.size() > 2 && inputs[2].isBool() && inputs[2].toBool();
  return !nonBlocking;
}

std::unique_ptr<at::ObserverContext> OnEnter(const at::RecordFunction& fn) {
  Session& s = S();
  auto inputs = fn.inputs();
  std::string shapes;
  bool syncCopy = false, onDevice = false;
  try {
    shapes = Shapes(inputs);
    syncCopy = IsSyncCopy(fn.name(), inputs);
    onDevice = AnyOnDevice(inputs);
  } catch (const std::exception&) {
    shapes = "[?]";  // sizes() refuses some layouts (nested tensors): the operator itself must still run
  }
  auto ctx = std::make_unique<Context>();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.active) return ctx;
  ThreadStack& stack = Stack(s);
  Event e;
  std::string name = fn.name();
  auto it = s.nameIndex.find(name);
  if (it == s.nameIndex.end()) {
    it = s.nameIndex.emplace(name, static_cast<uint32_t>(s.names.size())).first;
    s.names.push_back(name);
  }
  e.name = it->second;
  e.parent = stack.open.empty() ? -1 : stack.open.back();
  e.depth = static_cast<int32_t>(stack.open.size());
  e.scope = static_cast<int32_t>(fn.scope());
  e.thread = stack.thread;
  e.syncCopy = syncCopy;
  e.onDevice = onDevice;
  e.shapes = std::move(shapes);
  ctx->generation = s.generation;
  ctx->index = static_cast<int32_t>(s.events.size());
  stack.open.push_back(ctx->index);
  e.start = NowNs();  // last: the bookkeeping above is not the operator's time
  s.events.push_back(std::move(e));
  return ctx;
}

void OnExit(const at::RecordFunction&, at::ObserverContext* base) {
  int64_t now = NowNs();
  Session& s = S();
  auto* ctx = static_cast<Context*>(base);
  if (ctx == nullptr || ctx->index < 0) return;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.active || ctx->generation != s.generation) return;
  Event& e = s.events[ctx->index];
  e.duration = now - e.start;
  if (e.parent >= 0) s.events[e.parent].children += e.duration;
  ThreadStack& stack = Stack(s);
  // Ends come in the reverse order of starts on one thread; an async end elsewhere only drops its own entry.
  for (size_t i = stack.open.size(); i-- > 0;) {
    if (stack.open[i] == ctx->index) {
      stack.open.erase(stack.open.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
}

// Counts the caching and CPU allocators' allocations, attributed to the
// innermost open event of the allocating thread. It is libtorch's own
// profiler-state type with a disabled configuration, so code that asks
// "is a profiler on?" through the same thread-local slot reads "no".
struct MemoryCounter : torch::profiler::impl::ProfilerStateBase {
  MemoryCounter()
      : torch::profiler::impl::ProfilerStateBase(
            torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::Disabled)) {}
  // NOTE: libtorch 2.x changed the totals from int64_t to size_t; the
  // overload that matches the base class overrides it, the other is unused.
  void reportMemoryUsage(void*, int64_t size, int64_t, int64_t, c10::Device) { Count(size); }
  void reportMemoryUsage(void*, int64_t size, size_t, size_t, c10::Device) { Count(size); }
  bool memoryProfilingEnabled() const override { return true; }
  torch::profiler::impl::ActiveProfilerType profilerType() override {
    return torch::profiler::impl::ActiveProfilerType::NONE;
  }
  static void Count(int64_t size) {
    Session& s = S();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.active) return;
    if (size < 0) {
      s.frees += 1;
      s.freeBytes -= size;
      return;
    }
    s.allocs += 1;
    s.allocBytes += size;
    ThreadStack& stack = Stack(s);
    if (stack.open.empty()) return;
    Event& e = s.events[stack.open.back()];
    e.allocs += 1;
    e.allocBytes += size;
  }
};

bool g_memoryPushed = false;

Napi::Value ProfilerStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Session& s = S();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.active) Fail(env, "A profile is already running: profiles do not nest (stop the running one first)");
    s.events.clear();
    s.names.clear();
    s.nameIndex.clear();
    s.threads = 0;
    s.allocs = s.allocBytes = s.frees = s.freeBytes = 0;
    s.generation += 1;
    s.origin = NowNs();
    s.active = true;
  }
  s.handle = at::addGlobalCallback(at::RecordFunctionCallback(OnEnter, OnExit).needsInputs(true));
  c10::ThreadLocalDebugInfo::_push(c10::DebugInfoKind::PROFILER_STATE, std::make_shared<MemoryCounter>());
  g_memoryPushed = true;
  return env.Undefined();
}

template <typename T, typename F>
Napi::Value Column(Napi::Env env, const std::vector<Event>& events, F get) {
  auto out = Napi::TypedArrayOf<T>::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) out[i] = static_cast<T>(get(events[i]));
  return out;
}

Napi::Value ProfilerStop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Session& s = S();
  if (!s.active) Fail(env, "No profile is running: profilerStart() first");
  at::removeCallback(s.handle);
  s.handle = 0;
  if (g_memoryPushed) {
    g_memoryPushed = false;
    c10::ThreadLocalDebugInfo::_pop(c10::DebugInfoKind::PROFILER_STATE);
  }
  std::vector<Event> events;
  std::vector<std::string> names;
  int64_t origin = 0, stop = NowNs();
  int64_t totals[4];
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.active = false;
    s.generation += 1;
    events.swap(s.events);
    names.swap(s.names);
    s.nameIndex.clear();
    origin = s.origin;
    totals[0] = s.allocs, totals[1] = s.allocBytes, totals[2] = s.frees, totals[3] = s.freeBytes;
  }
  for (Event& e : events) {
    if (e.duration < 0) e.duration = stop - e.start;  // still open at stop (another thread, an unended range)
  }
  Napi::Object out = Napi::Object::New(env);
  Napi::Array nameArray = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) nameArray.Set(static_cast<uint32_t>(i), names[i]);
  out.Set("names", nameArray);
  out.Set("name", Column<uint32_t>(env, events, [](const Event& e) { return e.name; }));
  out.Set("parent", Column<int32_t>(env, events, [](const Event& e) { return e.parent; }));
  out.Set("depth", Column<int32_t>(env, events, [](const Event& e) { return e.depth; }));
  out.Set("scope", Column<int32_t>(env, events, [](const Event& e) { return e.scope; }));
  out.Set("thread", Column<int32_t>(env, events, [](const Event& e) { return e.thread; }));
  out.Set("onDevice", Column<uint8_t>(env, events, [](const Event& e) { return e.onDevice ? 1 : 0; }));
  out.Set("syncCopy", Column<uint8_t>(env, events, [](const Event& e) { return e.syncCopy ? 1 : 0; }));
  out.Set("startNs", Column<double>(env, events, [origin](const Event& e) { return e.start - origin; }));
  out.Set("durationNs", Column<double>(env, events, [](const Event& e) { return e.duration; }));
  out.Set("selfNs", Column<double>(env, events, [](const Event& e) { return e.duration - e.children; }));
  out.Set("allocs", Column<double>(env, events, [](const Event& e) { return e.allocs; }));
  out.Set("allocBytes", Column<double>(env, events, [](const Event& e) { return e.allocBytes; }));
  Napi::Array shapes = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) shapes.Set(static_cast<uint32_t>(i), events[i].shapes);
  out.Set("shapes", shapes);
  Napi::Object memory = Napi::Object::New(env);
  memory.Set("allocs", static_cast<double>(totals[0]));
  memory.Set("allocBytes", static_cast<double>(totals[1]));
  memory.Set("frees", static_cast<double>(totals[2]));
  memory.Set("freeBytes", static_cast<double>(totals[3]));
  out.Set("memory", memory);
  out.Set("wallNs", static_cast<double>(stop - origin));
  return out;
}

Napi::Value ProfilerActive(const Napi::CallbackInfo& info) {
  Session& s = S();
  std::lock_guard<std::mutex> lock(s.mutex);
  return Napi::Boolean::New(info.Env(), s.active);
}

Napi::Value RecordFunctionCallbacks(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::hasGlobalCallbacks());
}

// User ranges (recordFunction in TypeScript), innermost last; JS thread only.
std::vector<std::unique_ptr<at::RecordFunction>>& Ranges() {
  static auto* ranges = new std::vector<std::unique_ptr<at::RecordFunction>>();
  return *ranges;
}

Napi::Value RangePush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty())
    Fail(env, "Expected a non-empty string for the range name");
  auto range = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
  if (range->isActive()) range->before(info[0].As<Napi::String>().Utf8Value());
  Ranges().push_back(std::move(range));
  return Napi::Number::New(env, static_cast<double>(Ranges().size()));
}

Napi::Value RangePop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& ranges = Ranges();
  if (ranges.empty()) Fail(env, "rangePop() without an open range (rangePush first)");
  ranges.pop_back();  // the destructor runs the end callbacks
  return Napi::Number::New(env, static_cast<double>(ranges.size()));
}

}  // namespace

void InitProfiler(Napi::Env env, Napi::Object exports) {
  Export<ProfilerStart>(env, exports, "profilerStart");
  Export<ProfilerStop>(env, exports, "profilerStop");
  Export<ProfilerActive>(env, exports, "profilerActive");
  Export<RecordFunctionCallbacks>(env, exports, "recordFunctionCallbacks");
  Export<RangePush>(env, exports, "rangePush");
  Export<RangePop>(env, exports, "rangePop");
}

}  // namespace selfsup
