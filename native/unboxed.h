// Unboxed calls for operators whose schema has one of a few common shapes
// (add, mul, relu, matmul, sum, softmax, their in-place forms, ...): the
// same dispatcher, the same kernels, without packing arguments into IValues.
// The boxed path (convert.h) remains the reference and reports every error.
#pragma once

#include <napi.h>

#include "op_entry.h"

namespace selfsup {

enum class Unboxed : uint8_t {
  None = 0,
  T,     // Tensor(const Tensor&)
  TT,    // Tensor(const Tensor&, const Tensor&)
  TTS,   // Tensor(const Tensor&, const Tensor&, const Scalar&)
  TS,    // Tensor(const Tensor&, const Scalar&)
  Tm,    // Tensor&(Tensor&)
  TmT,   // Tensor&(Tensor&, const Tensor&)
  TmTS,  // Tensor&(Tensor&, const Tensor&, const Scalar&)
  TmS,   // Tensor&(Tensor&, const Scalar&)
  TD,    // Tensor(const Tensor&, optional<ScalarType>)
  TID,   // Tensor(const Tensor&, int64_t, optional<ScalarType>)
  TII,   // Tensor(const Tensor&, int64_t, int64_t)
  TIT,   // Tensor(const Tensor&, int64_t, const Tensor&)
  TTO,   // Tensor(const Tensor&, const Tensor&, const optional<Tensor>&)
  LIr,   // Tensor(const ITensorListRef&, int64_t)
  LIa,   // Tensor(TensorList, int64_t)
  Conv,  // Tensor(const Tensor&, const Tensor&, const optional<Tensor>&, IntArrayRef x3, int64_t)
};

// The unboxed shape of an operator, confirmed against the C++ signature the
// dispatcher recorded for it; None when it has none of them.
Unboxed DetectUnboxed(const OpEntry& op);

// Calls `op` unboxed when the JS arguments (from info[first]) are plain:
// live tensor handles, numbers, booleans, dtype names, or undefined for
// defaults. Returns false, having done nothing, when the boxed path must
// take the call.
bool CallUnboxed(const Napi::CallbackInfo& info, size_t first, const OpEntry& op, Napi::Value* result);

}  // namespace selfsup
