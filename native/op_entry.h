// One operator as the dispatcher describes it, and how its arguments are
// converted: decided once per operator, shared by every call.
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>

#include <memory>
#include <string>
#include <vector>

#include "handle.h"

namespace selfsup {

// How one schema argument is converted from JS. Decided once per operator.
enum class Kind {
  Tensor, TensorList, OptTensorList, Int, IntList, Float, FloatList, Bool, BoolList,
  Scalar, ScalarType, Layout, MemoryFormat, Device, Str, Generator, Unsupported
};

struct ArgSpec {
  std::string name;
  std::string typeName;  // as written in the schema, for messages
  Kind kind;
  bool optional;
  int32_t fixedLength;   // N of `int[2]`, 0 when not fixed
  bool symbolic;         // SymInt or SymInt[] rather than int
  bool writes;           // Tensor(a!): the operator writes through it
  bool hasDefault;
  c10::IValue defaultValue;
};

struct OpEntry {
  explicit OpEntry(const c10::OperatorHandle& h) : handle(h) {}
  HandleKind kind = HandleKind::Op;
  c10::OperatorHandle handle;
  std::string qualifiedName;  // aten::add.Tensor
  std::vector<ArgSpec> args;
  size_t numReturns;
  bool returnsOneTensor = false;  // exactly one non-optional Tensor
  // For each return: index of the argument it writes through (Tensor(a!)),
  // or -1. Such a return hands back the caller's own JS value.
  std::vector<int> returnAliasesArg;
  std::string unsupportedReason;  // non-empty if some argument type has no converter
  // Which unboxed signature (unboxed.h) the operator has, if any.
  uint8_t unboxed = 0;
};

// The type as the schema language writes it: Tensor?, int[], Scalar.
std::string SchemaType(const c10::TypePtr& type);

// Describes an operator overload for calls.
std::unique_ptr<OpEntry> MakeEntry(const c10::OperatorHandle& handle);

}  // namespace selfsup
