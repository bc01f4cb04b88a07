// Math-mode switches of libtorch's global context, as torch.backends.* and
// torch.set_float32_matmul_precision: TF32 for cuBLAS and cuDNN, cuDNN's
// benchmark and deterministic modes. They are plain flags, so they read and
// set on a CPU build too (as PyTorch's do).
#pragma once

#include <napi.h>

namespace selfsup {

// backendsGet() -> { matmulAllowTF32, cudnnAllowTF32, cudnnBenchmark,
// cudnnDeterministic, float32MatmulPrecision }; backendsSet(name, value).
void InitBackends(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
