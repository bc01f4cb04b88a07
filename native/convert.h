// Converting between JS values and IValues by an operator's schema.
#pragma once

#include <napi.h>
#include <ATen/core/stack.h>

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

// A short description of a JS value for error messages ("string 'x'").
std::string Describe(const Napi::Value& v);

}  // namespace selfsup
