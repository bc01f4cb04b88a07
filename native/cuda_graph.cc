#include "cuda_graph.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>
#ifdef SELFSUP_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#endif

#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "handle.h"
#include "warnings.h"

namespace selfsup {
namespace {

// Throws unless this build has CUDA and a GPU is visible; returns the current device.
int CheckCuda(Napi::Env env, const char* what) {
  const auto& hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDA() || hooks.getNumGPUs() == 0)
    throw Napi::Error::New(env, std::string(what) + " needs a CUDA build of libtorch and a GPU: this libtorch " TORCH_VERSION
                                " build has no CUDA support or no GPU is visible");
  return static_cast<int>(hooks.current_device());
}

Napi::Function CheckFunction(const Napi::Value& v, const char* what) {
  if (!v.IsFunction())
    throw Napi::TypeError::New(v.Env(), std::string("Expected a function for ") + what + " but received " +
                                            v.ToString().Utf8Value());
  return v.As<Napi::Function>();
}

#ifdef SELFSUP_WITH_CUDA
using Graph = at::cuda::CUDAGraph;

Graph* GraphOf(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "Expected a CUDA graph handle");
  return v.As<Napi::External<Graph>>().Data();
}

// Waits for every stream of the device: a capture or a side-stream warm-up
// starts after the work queued before it, and its results are ready after.
void SyncDevice(Napi::Env env) {
  cudaError_t err = cudaDeviceSynchronize();
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Napi::Error::New(env, std::string("cudaDeviceSynchronize failed: ") + cudaGetErrorString(err));
  }
}

// One side stream per device, the same for the warm-up steps and the capture.
// Autograd records the stream current when a parameter's gradient
// accumulator is created; a pool stream per call (getStreamFromPool goes round
// robin) made a warm-up step's accumulators, when still alive at the next
// step or at the capture, disagree with the stream the backward ran on
// (libtorch >= 2.10 warns: "The AccumulateGrad node's stream does not match").
c10::cuda::CUDAStream SideStream(int device) {
  static std::vector<std::optional<c10::cuda::CUDAStream>> streams(64);
  auto& s = streams.at(static_cast<size_t>(device));
  if (!s.has_value()) s = c10::cuda::getStreamFromPool(false, static_cast<c10::DeviceIndex>(device));
  return *s;
}
#endif

Napi::Value CudaGraphCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckCuda(env, "A CUDA graph");
#ifdef SELFSUP_WITH_CUDA
  return Napi::External<Graph>::New(env, new Graph(), [](Napi::Env, Graph* g) { delete g; });
#else
  return env.Undefined();
#endif
}

// Captures what `fn` queues on the device. Capture needs a stream other than
// the default one: `fn` runs with a pool stream as the current stream, after
// the device is idle. If `fn` throws (or capture fails), the capture is ended
// and discarded, and the error is rethrown.
Napi::Value CudaGraphCapture(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int device = CheckCuda(env, "CUDA graph capture");
  Napi::Function fn = CheckFunction(info[1], "the step to capture");
#ifdef SELFSUP_WITH_CUDA
  Graph* g = GraphOf(info[0]);
  SyncDevice(env);
  {
    c10::cuda::CUDAStreamGuard guard(SideStream(device));
    g->capture_begin();
    try {
      fn.Call({});
    } catch (...) {
      // NOTE: capture_end throws when the capture was invalidated (the usual
      // case after an error); either way the graph is reset for a new try.
      // A capture that failed before queuing work ends empty: libtorch's
      // "The CUDA Graph is empty" warning would only repeat the error.
      ScopedWarningSilence silence;
      try {
        g->capture_end();
      } catch (...) {
      }
      cudaGetLastError();
      g->reset();
      throw;
    }
    g->capture_end();
  }
  SyncDevice(env);
#else
  (void)device;
  (void)fn;
#endif
  return env.Undefined();
}

Napi::Value CudaGraphReplay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckCuda(env, "CUDA graph replay");
#ifdef SELFSUP_WITH_CUDA
  GraphOf(info[0])->replay();
#endif
  return env.Undefined();
}

Napi::Value CudaGraphReset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckCuda(env, "CUDA graph reset");
#ifdef SELFSUP_WITH_CUDA
  GraphOf(info[0])->reset();
#endif
  return env.Undefined();
}

// Runs `fn` with a pool stream as the current stream (the warm-up steps
// before a capture, as PyTorch's documentation asks), the device idle before
// and after.
Napi::Value CudaOnSideStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int device = CheckCuda(env, "A side stream");
  Napi::Function fn = CheckFunction(info[0], "the work to run on a side stream");
#ifdef SELFSUP_WITH_CUDA
  SyncDevice(env);
  Napi::Value result;
  {
    c10::cuda::CUDAStreamGuard guard(SideStream(device));
    result = fn.Call({});
  }
  SyncDevice(env);
  return result;
#else
  (void)device;
  (void)fn;
  return env.Undefined();
#endif
}

}  // namespace

void InitCudaGraph(Napi::Env env, Napi::Object exports) {
  Export<CudaGraphCreate>(env, exports, "cudaGraphCreate");
  Export<CudaGraphCapture>(env, exports, "cudaGraphCapture");
  Export<CudaGraphReplay>(env, exports, "cudaGraphReplay");
  Export<CudaGraphReset>(env, exports, "cudaGraphReset");
  Export<CudaOnSideStream>(env, exports, "cudaOnSideStream");
}

}  // namespace selfsup
