// Tensor handles: how an at::Tensor lives inside a JS value, plus the
// conversions every capability shares (dtype, device, errors).
#pragma once

#include <napi.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <string>

namespace selfsup {

// Externals the addon creates for operators and generators point at a struct
// that starts with a tag, so a handle of the wrong kind is rejected instead
// of misread.
enum class HandleKind : uint32_t { Op = 0x7e50a002, Generator = 0x7e50a003 };

// A tensor handle is a JS number that encodes a slot index and a generation
// in a table of tensors: -(2^40 + generation * 2^26 + index). Numbers cost no
// GC bookkeeping; an N-API External would create a V8 global handle per tensor
// and its finalizer would only run when the event loop turns, so a synchronous
// training loop would pile them up. The range (at most -2^40) and the
// generation check make a stray user number or a stale handle miss.
// Tensors are freed by dispose(), by scopes, and, for tensors that escape
// every scope, by a FinalizationRegistry on the JS side (lib/torch/tensor.ts)
// that calls dispose(handle).
struct TensorBox {
  at::Tensor tensor;          // undefined once disposed
  int64_t reportedBytes = 0;  // CPU bytes counted in MemoryCounters (torch.memory().cpuBytes)
  int64_t gcBytes = 0;        // of those, the bytes reported to V8 as external memory (WatchBytes)
  uint32_t generation = 0;    // bumped on dispose, so stale handles miss
  uint32_t index = 0;         // position in the slot table
  bool disposed = true;
};

// Live tensor handles and the CPU bytes reported for them.
struct MemoryCounters {
  int64_t liveTensors = 0;
  int64_t reportedBytes = 0;
  int64_t peakTensors = 0;
};
MemoryCounters& Counters();

// Wraps a tensor in a new handle.
Napi::Value WrapTensor(Napi::Env env, at::Tensor tensor);
// The box of a handle value already known to be a number, or nullptr if the
// number is not a handle.
TensorBox* BoxOfNumber(napi_env env, napi_value value);
// The box of a handle's numeric value, or nullptr if it is not a handle.
TensorBox* BoxOfHandle(double value);
// Releases the tensor held by a box now; safe to call twice.
void DisposeBox(Napi::Env env, TensorBox* box);
// Reports a live tensor's CPU bytes to V8 as external memory: called when the
// garbage collector becomes responsible for freeing it (lib/torch/tensor.ts
// registers it with the FinalizationRegistry). Once per box.
void WatchBytes(Napi::Env env, TensorBox* box);

// The box behind a JS value: a tensor handle, or an object whose `_h`
// property is one (the TypeScript Tensor). nullptr if neither; a box with
// `disposed` set for a handle whose tensor was disposed.
TensorBox* BoxOf(const Napi::Value& value);
// Like BoxOf, but throws a clear error naming `what` when the value is not a
// live tensor. A string literal binds to the `const char*` overload: with only
// the std::string one, g++ 13+ warned (-Wdangling-reference) at every
// `const at::Tensor& t = TensorOf(v, "...")` about the temporary string.
const at::Tensor& TensorOf(const Napi::Value& value, const char* what);
inline const at::Tensor& TensorOf(const Napi::Value& value, const std::string& what) {
  return TensorOf(value, what.c_str());
}

// Names used on the JS side: 'float32', 'cpu', 'cuda:0', ...
bool ParseDtype(const std::string& name, c10::ScalarType* out);
std::string DtypeName(c10::ScalarType type);
bool ParseDevice(const std::string& name, c10::Device* out, std::string* error);
std::string DeviceName(const c10::Device& device);

// Throws a JS Error with `message`.
[[noreturn]] void Fail(Napi::Env env, const std::string& message);

// If a JS exception is pending (a getter or a Proxy trap threw while an
// argument was read), that exception is the one to report: it is thrown as
// a C++ Napi::Error, which also clears it. Throwing a second error while one
// is pending would abort the process.
inline void RethrowPending(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) throw Napi::Error::New(env);
}

// Runs `body` and turns every C++ exception into a JS Error whose message is
// libtorch's (without the C++ backtrace), prefixed by `context` when given.
template <typename F>
Napi::Value Guard(Napi::Env env, const char* context, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    RethrowPending(env);
    throw;
  } catch (const c10::Error& e) {
    RethrowPending(env);
    std::string msg = e.what_without_backtrace();
    throw Napi::Error::New(env, context ? std::string(context) + ": " + msg : msg);
  } catch (const std::exception& e) {
    RethrowPending(env);
    throw Napi::Error::New(env, context ? std::string(context) + ": " + e.what() : std::string(e.what()));
  }
}

// A callback with every C++ exception turned into a JS Error.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), nullptr, [&]() { return F(info); });
}

// exports[name] = guarded F
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
void Export(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New(env, Guarded<F>, name));
}

}  // namespace selfsup
