// Distributed process groups from PyTorch's c10d (Gloo on CPU, NCCL on CUDA
// builds that have it): stores, rendezvous, and collectives as Promises.
#pragma once

#include <napi.h>
#include <torch/version.h>

// c10d as libtorch 1.13 and 2.x have it (their differences: c10d_versions.h).
// SELFSUP_C10D_STUBS (CMake's -DSELFSUP_C10D=stubs, the GPU script's last
// fallback when the c10d code does not compile against a new libtorch) and a
// libtorch without c10d's headers build the functions as stubs that throw a
// clear error.
#if !defined(SELFSUP_C10D_STUBS) && __has_include(<torch/csrc/distributed/c10d/ProcessGroup.hpp>)
#define SELFSUP_WITH_C10D 1
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif

namespace selfsup {

// distInit(options) -> Promise<group>, distDestroy(group), distInfo(group),
// distBackends(), distAllReduce(group, tensors, op, timeoutMs) -> Promise,
// distBroadcast(group, tensors, root, timeoutMs) -> Promise,
// distAllGather(group, tensor, timeoutMs) -> Promise<tensor[]>,
// distBarrier(group, timeoutMs) -> Promise, distBroadcastCoalesced(group,
// tensors, root, bufferBytes) (blocking: DDP's start).
void InitDistributed(Napi::Env env, Napi::Object exports);

#ifdef SELFSUP_WITH_C10D
// The process group behind a group handle; throws a JS TypeError naming
// `what` when the value is not a live group.
c10::intrusive_ptr<c10d::ProcessGroup> GroupOf(const Napi::Value& value, const char* what);
#endif

// distAllGatherWithGrad(group, tensor) -> tensor (differentiable, blocking),
// distReducerCreate(group, params, bucketBytes, firstBucketBytes,
// findUnusedParameters, gradientAsBucketView) -> reducer,
// distReducerPrepareForward(reducer), distReducerPrepareForBackward(reducer,
// outputs), distReducerRebuildBuckets(reducer), distReducerDestroy(reducer).
void InitDistributedAutograd(Napi::Env env, Napi::Object exports);

#ifdef SELFSUP_WITH_C10D
#define SELFSUP_EXPORT_DIST(fn, name) Export<fn>(env, exports, name);
#else
// Every distributed entry point of a build without c10d: throws a clear error.
Napi::Value DistUnsupported(const Napi::CallbackInfo& info);
#define SELFSUP_EXPORT_DIST(fn, name) Export<DistUnsupported>(env, exports, name);
#endif

}  // namespace selfsup
