// Tensors to and from JS memory, and tensor metadata.
#pragma once

#include <napi.h>

namespace selfsup {

// fromBuffer(typedArray, shape, dtype), toBuffer(t), toBufferAsync(t),
// viewBuffer(t), dispose(t), shape(t), strides(t), dtype(t), device(t),
// numel(t), dim(t), isContiguous(t), isDisposed(t).
void InitTensorData(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
