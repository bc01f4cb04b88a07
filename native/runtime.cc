#include "runtime.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>
#ifdef SELFSUP_WITH_CUDA
// NOTE: cuda_runtime_api.h rather than ATen/cuda/CUDAContext.h, which also
// needs the cuBLAS, cuSPARSE and cuSOLVER headers that a machine with only
// the CUDA runtime and a pip torch may lack. c10's CUDA headers need it anyway.
#include <cuda_runtime_api.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "handle.h"

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#define SELFSUP_GLIBC_MALLOC 1
#endif

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SELFSUP_AUTOCAST_BY_DEVICE 1
#endif

namespace selfsup {
namespace {

c10::DeviceType AutocastDevice(const Napi::Value& v) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "cpu") return c10::DeviceType::CPU;
  if (s == "cuda") return c10::DeviceType::CUDA;
  throw Napi::TypeError::New(v.Env(), "Expected 'cpu' or 'cuda' for the autocast device type but received '" + s + "'");
}

bool AutocastEnabled(c10::DeviceType d) {
#ifdef SELFSUP_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

c10::ScalarType AutocastDtype(c10::DeviceType d) {
#ifdef SELFSUP_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

Napi::Value AutocastState(const Napi::CallbackInfo& info) {
  c10::DeviceType d = AutocastDevice(info[0]);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("enabled", AutocastEnabled(d));
  out.Set("dtype", DtypeName(AutocastDtype(d)));
  return out;
}

Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::DeviceType d = AutocastDevice(info[0]);
  bool enabled = info[1].ToBoolean();
  c10::ScalarType dtype;
  if (!info[2].IsString() || !ParseDtype(info[2].As<Napi::String>().Utf8Value(), &dtype) ||
      (dtype != c10::kBFloat16 && dtype != c10::kHalf && dtype != c10::kFloat))
    throw Napi::TypeError::New(env, "Expected 'bfloat16', 'float16' or 'float32' for the autocast dtype but received " +
                                        info[2].ToString().Utf8Value());
#ifdef SELFSUP_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(d, enabled);
  at::autocast::set_autocast_dtype(d, dtype);
#else
  if (d == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
  return env.Undefined();
}

Napi::Value AutocastIncrementNesting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::autocast::increment_nesting());
}
Napi::Value AutocastDecrementNesting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::autocast::decrement_nesting());
}
Napi::Value ClearAutocastCache(const Napi::CallbackInfo& info) {
  at::autocast::clear_cache();
  return info.Env().Undefined();
}

// The autocast weight cache must be off inside a CUDA graph capture: a cached
// cast made during capture would be freed while the graph still reads it.
Napi::Value AutocastCacheEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::autocast::is_autocast_cache_enabled());
}
Napi::Value SetAutocastCacheEnabled(const Napi::CallbackInfo& info) {
  at::autocast::set_autocast_cache_enabled(info[0].ToBoolean());
  return info.Env().Undefined();
}

Napi::Value CudaIsAvailable(const Napi::CallbackInfo& info) {
  const auto& hooks = at::detail::getCUDAHooks();
  return Napi::Boolean::New(info.Env(), hooks.hasCUDA() && hooks.getNumGPUs() > 0);
}
Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  const auto& hooks = at::detail::getCUDAHooks();
  return Napi::Number::New(info.Env(), hooks.hasCUDA() ? hooks.getNumGPUs() : 0);
}

int64_t DeviceIndex(const Napi::CallbackInfo& info) {
  const auto& hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDA() || hooks.getNumGPUs() == 0)
    throw Napi::Error::New(info.Env(), "CUDA is not available: this libtorch " TORCH_VERSION
                                       " build has no CUDA support or no GPU is visible");
  int64_t index = info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : hooks.current_device();
  if (index < 0 || index >= hooks.getNumGPUs())
    throw Napi::RangeError::New(info.Env(), "CUDA device index " + std::to_string(index) + " is out of range (" +
                                                std::to_string(hooks.getNumGPUs()) + " devices)");
  return index;
}

Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  at::detail::getCUDAHooks().deviceSynchronize(DeviceIndex(info));
  return info.Env().Undefined();
}

Napi::Value CudaMemoryStats(const Napi::CallbackInfo& info) {
  int64_t index = DeviceIndex(info);
  Napi::Object out = Napi::Object::New(info.Env());
#ifdef SELFSUP_WITH_CUDA
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(index));
  out.Set("allocatedBytes", static_cast<double>(stats.allocated_bytes[0].current));
  out.Set("peakAllocatedBytes", static_cast<double>(stats.allocated_bytes[0].peak));
  out.Set("reservedBytes", static_cast<double>(stats.reserved_bytes[0].current));
  out.Set("peakReservedBytes", static_cast<double>(stats.reserved_bytes[0].peak));
  out.Set("numAllocRetries", static_cast<double>(stats.num_alloc_retries));
  out.Set("numOoms", static_cast<double>(stats.num_ooms));
#else
  (void)index;
#endif
  return out;
}

// Returns the caching allocator's unused cached blocks to the driver, as
// torch.cuda.empty_cache(): what a finished workload freed stops counting as
// reserved. Like PyTorch's, a no-op without CUDA.
Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
#ifdef SELFSUP_WITH_CUDA
  const auto& hooks = at::detail::getCUDAHooks();
  if (hooks.hasCUDA() && hooks.getNumGPUs() > 0) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  return info.Env().Undefined();
}

// Starts the caching allocator's peak counters (allocated and reserved bytes)
// again from their current values, as torch.cuda.reset_peak_memory_stats():
// a later cudaMemoryStats' peaks are those since this call. Throws without a
// GPU, as cudaMemoryStats.
Napi::Value CudaResetPeakMemoryStats(const Napi::CallbackInfo& info) {
  int64_t index = DeviceIndex(info);
#ifdef SELFSUP_WITH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(index));
#else
  (void)index;
#endif
  return info.Env().Undefined();
}

// One entry per visible GPU, as torch.cuda.get_device_properties(i); empty
// on a CPU build or when no GPU is visible. `selfsup info` prints these.
Napi::Value CudaDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
#ifdef SELFSUP_WITH_CUDA
  const auto& hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDA()) return out;
  uint32_t n = 0;
  for (int64_t i = 0; i < hooks.getNumGPUs(); ++i) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, static_cast<int>(i)) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky-free error so later CUDA calls do not report it
      continue;
    }
    Napi::Object d = Napi::Object::New(env);
    d.Set("index", static_cast<double>(i));
    d.Set("name", std::string(p.name));
    d.Set("totalMemory", static_cast<double>(p.totalGlobalMem));
    d.Set("major", static_cast<double>(p.major));
    d.Set("minor", static_cast<double>(p.minor));
    d.Set("multiProcessorCount", static_cast<double>(p.multiProcessorCount));
    out.Set(n++, d);
  }
#endif
  return out;
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber() || info[0].As<Napi::Number>().Int32Value() < 1)
    throw Napi::RangeError::New(info.Env(), "Expected a positive integer for the number of threads but received " +
                                                info[0].ToString().Utf8Value());
  at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value Config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& hooks = at::detail::getCUDAHooks();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchVersion", TORCH_VERSION);
#ifdef SELFSUP_WITH_CUDA
  out.Set("builtWithCuda", true);
#else
  out.Set("builtWithCuda", false);
#endif
  out.Set("hasCuda", hooks.hasCUDA());
  out.Set("cudaRuntimeVersion", hooks.hasCUDA() ? static_cast<double>(hooks.versionCUDART()) : 0.0);
  out.Set("cudnnVersion", hooks.hasCUDA() && hooks.hasCuDNN() ? static_cast<double>(hooks.versionCuDNN()) : 0.0);
  out.Set("cxx11Abi", static_cast<bool>(_GLIBCXX_USE_CXX11_ABI));
  out.Set("buildConfig", at::show_config());
  out.Set("parallelInfo", at::get_parallel_info());
  out.Set("numThreads", at::get_num_threads());
  out.Set("numInteropThreads", at::get_num_interop_threads());
  return out;
}

Napi::Value MemoryCountersJs(const Napi::CallbackInfo& info) {
  const MemoryCounters& c = Counters();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("tensors", static_cast<double>(c.liveTensors));
  out.Set("peakTensors", static_cast<double>(c.peakTensors));
  out.Set("cpuBytes", static_cast<double>(c.reportedBytes));
  return out;
}

// setMallocThresholds(mmapBytes, trimBytes): glibc's M_MMAP_THRESHOLD and
// M_TRIM_THRESHOLD for the whole process (lib/torch/host-malloc.ts says why);
// { glibc: false } elsewhere, else whether glibc accepted each value.
Napi::Value SetMallocThresholds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (size_t i = 0; i < 2; i++) {
    if (info.Length() <= i || !info[i].IsNumber()) {
      throw Napi::TypeError::New(env, "setMallocThresholds(mmapBytes, trimBytes) takes two numbers");
    }
    const double v = info[i].As<Napi::Number>().DoubleValue();
    // mallopt takes an int: whole bytes from 0 to 2^31 - 1.
    if (!(v >= 0 && v <= 2147483647.0) || v != static_cast<double>(static_cast<int64_t>(v))) {
      throw Napi::RangeError::New(env, "setMallocThresholds: each threshold must be a whole number of bytes from 0 to 2147483647");
    }
  }
  Napi::Object out = Napi::Object::New(env);
#ifdef SELFSUP_GLIBC_MALLOC
  out.Set("glibc", true);
  out.Set("mmap", mallopt(M_MMAP_THRESHOLD, static_cast<int>(info[0].As<Napi::Number>().Int64Value())) == 1);
  out.Set("trim", mallopt(M_TRIM_THRESHOLD, static_cast<int>(info[1].As<Napi::Number>().Int64Value())) == 1);
#else
  out.Set("glibc", false);
  out.Set("mmap", false);
  out.Set("trim", false);
#endif
  return out;
}

}  // namespace

void InitRuntime(Napi::Env env, Napi::Object exports) {
  Export<AutocastState>(env, exports, "autocastState");
  Export<SetAutocast>(env, exports, "setAutocast");
  Export<AutocastIncrementNesting>(env, exports, "autocastIncrementNesting");
  Export<AutocastDecrementNesting>(env, exports, "autocastDecrementNesting");
  Export<ClearAutocastCache>(env, exports, "clearAutocastCache");
  Export<AutocastCacheEnabled>(env, exports, "autocastCacheEnabled");
  Export<SetAutocastCacheEnabled>(env, exports, "setAutocastCacheEnabled");
  Export<CudaIsAvailable>(env, exports, "cudaIsAvailable");
  Export<CudaDeviceCount>(env, exports, "cudaDeviceCount");
  Export<CudaSynchronize>(env, exports, "cudaSynchronize");
  Export<CudaMemoryStats>(env, exports, "cudaMemoryStats");
  Export<CudaDevices>(env, exports, "cudaDevices");
  Export<CudaEmptyCache>(env, exports, "cudaEmptyCache");
  Export<CudaResetPeakMemoryStats>(env, exports, "cudaResetPeakMemoryStats");
  Export<GetNumThreads>(env, exports, "getNumThreads");
  Export<SetNumThreads>(env, exports, "setNumThreads");
  Export<Config>(env, exports, "config");
  Export<MemoryCountersJs>(env, exports, "memoryCounters");
  Export<SetMallocThresholds>(env, exports, "setMallocThresholds");
}

}  // namespace selfsup
