// The selfsup native addon: registers each capability's functions.
#include <napi.h>

#include "autograd.h"
#include "backends.h"
#include "cuda_graph.h"
#include "dispatch.h"
#include "distributed.h"
#include "profiler.h"
#include "random.h"
#include "runtime.h"
#include "tensor_data.h"
#include "warnings.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  selfsup::InitDispatch(env, exports);
  selfsup::InitTensorData(env, exports);
  selfsup::InitAutograd(env, exports);
  selfsup::InitRandom(env, exports);
  selfsup::InitRuntime(env, exports);
  selfsup::InitCudaGraph(env, exports);
  selfsup::InitDistributed(env, exports);
  selfsup::InitDistributedAutograd(env, exports);
  selfsup::InitBackends(env, exports);
  selfsup::InitWarnings(env, exports);
  selfsup::InitProfiler(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(selfsup, Init)
