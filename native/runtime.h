// Process-wide state: autocast, devices and CUDA, threads, versions, memory.
#pragma once

#include <napi.h>

namespace selfsup {

// autocastState(deviceType), setAutocast(deviceType, enabled, dtype),
// autocastIncrementNesting(), autocastDecrementNesting(), clearAutocastCache(),
// autocastCacheEnabled(), setAutocastCacheEnabled(enabled),
// cudaIsAvailable(), cudaDeviceCount(), cudaSynchronize(index),
// cudaMemoryStats(index), cudaDevices(), cudaEmptyCache(), cudaResetPeakMemoryStats(index), getNumThreads(), setNumThreads(n), config(),
// memoryCounters(), setMallocThresholds(mmapBytes, trimBytes).
void InitRuntime(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
