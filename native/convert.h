// Converting between JS values and IValues by an operator's schema.
#pragma once

#include <napi.h>
#include <ATen/core/stack.h>

#include <cmath>
#include <string>

#include "op_entry.h"

namespace selfsup {

// Fills `stack` with the operator's arguments, converted from
// info[first...]; false with `*err` set when an argument does not fit.
// Failures are reported, not thrown, so that overload resolution can try the
// next candidate cheaply.
bool ConvertArguments(const Napi::CallbackInfo& info, size_t first, const OpEntry& op, torch::jit::Stack* stack,
                      std::string* err);

// An operator result as a JS value: tensors become handles, tuples and lists
// arrays, None null.
Napi::Value ToJs(Napi::Env env, c10::IValue&& v);

// NOTE: JS has one number type. An integral number within 2^53 counts as an
// integer (a Scalar like Python's `2`); any other is a double (`2.5`). Both
// the boxed and the unboxed paths use this rule.
inline bool IsIntegral(double d) {
  return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0;
}

// A short description of a JS value for error messages ("string 'x'").
std::string Describe(const Napi::Value& v);

}  // namespace selfsup
