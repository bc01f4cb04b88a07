// An operator profiler on libtorch's RecordFunction callbacks, in the spirit
// of torch.profiler's CPU activity: every operator, autograd node and user
// range that runs while a profile is on is recorded with its name, parent,
// input shapes, host time and the allocations made inside it. Nothing is
// registered while no profile runs, so operators then cost what they cost
// without a profiler. Aggregation (key averages, tables, host syncs) is in
// lib/torch/profiler*.ts.
#pragma once

#include <napi.h>

namespace selfsup {

// profilerStart(); profilerStop() -> the recorded events as columns;
// profilerActive(); recordFunctionCallbacks() (whether libtorch has any
// global RecordFunction callback); rangePush(name); rangePop().
void InitProfiler(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
