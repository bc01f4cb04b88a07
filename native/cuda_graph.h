// CUDA graphs: capture a training step once, replay it with one launch.
#pragma once

#include <napi.h>

namespace selfsup {

// cudaGraphCreate() -> graph, cudaGraphCapture(graph, fn), cudaGraphReplay(graph),
// cudaGraphReset(graph), cudaOnSideStream(fn). On a CPU build each throws an
// Error that says CUDA graphs need a CUDA build and a GPU.
void InitCudaGraph(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
