// Distributed process groups from PyTorch's c10d (Gloo on CPU, NCCL on CUDA
// builds that have it): stores, rendezvous, and collectives as Promises.
#pragma once

#include <napi.h>
#include <torch/version.h>

// The c10d API used here is libtorch 1.13's (ProcessGroupGloo/NCCL are
// ProcessGroups; 2.x made them Backends behind a ProcessGroup and changed the
// Reducer's constructor). On 2.x the functions exist and throw a clear error
// until that port is done (docs/distributed.md).
#if TORCH_VERSION_MAJOR < 2
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
// Every distributed entry point on a libtorch without the 1.13 c10d API: throws a clear error.
Napi::Value DistUnsupported(const Napi::CallbackInfo& info);
#define SELFSUP_EXPORT_DIST(fn, name) Export<DistUnsupported>(env, exports, name);
#endif

}  // namespace selfsup
