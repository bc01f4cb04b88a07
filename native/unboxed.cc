#include "unboxed.h"

#include <ATen/core/IListRef.h>
#include <ATen/core/Tensor.h>
#include <c10/util/SmallVector.h>

#include <cmath>

#include "convert.h"

namespace selfsup {
namespace {

using at::Scalar;
using at::Tensor;
using OptDtype = c10::optional<at::ScalarType>;
using OptTensor = c10::optional<Tensor>;
using IntVec = c10::SmallVector<int64_t, 8>;
using TensorVec = c10::SmallVector<Tensor, 8>;

template <typename F>
bool Confirm(const OpEntry& op) {
  try {
    (void)op.handle.typed<F>();
    return true;
  } catch (const c10::Error&) {
    return false;
  }
}

bool IsTensor(const ArgSpec& a) { return a.kind == Kind::Tensor && !a.optional; }
bool IsScalar(const ArgSpec& a) { return a.kind == Kind::Scalar && !a.optional; }
bool IsInt(const ArgSpec& a) { return a.kind == Kind::Int && !a.optional && !a.symbolic; }
bool IsOptDtype(const ArgSpec& a) { return a.kind == Kind::ScalarType && a.optional; }
bool IsOptTensor(const ArgSpec& a) { return a.kind == Kind::Tensor && a.optional; }
bool IsTensorList(const ArgSpec& a) { return a.kind == Kind::TensorList && !a.optional; }
bool IsIntList(const ArgSpec& a) { return a.kind == Kind::IntList && !a.optional && !a.symbolic; }

// Reads the JS arguments of one call.
struct Args {
  napi_env env;
  const Napi::CallbackInfo& info;
  size_t first;
  const OpEntry& op;

  napi_value Raw(size_t i, napi_valuetype* type) const {
    *type = napi_undefined;
    if (first + i >= info.Length()) return nullptr;
    napi_value raw = info[first + i];
    napi_typeof(env, raw, type);
    return raw;
  }

  Tensor* GetTensor(size_t i) const {
    napi_valuetype type;
    napi_value raw = Raw(i, &type);
    if (type != napi_number) return nullptr;
    TensorBox* box = BoxOfNumber(env, raw);
    return box == nullptr || box->disposed ? nullptr : &box->tensor;
  }

  bool GetScalar(size_t i, Scalar* out) const {
    napi_valuetype type;
    napi_value raw = Raw(i, &type);
    if (type == napi_undefined) {
      const ArgSpec& spec = op.args[i];
      if (!spec.hasDefault) return false;
      *out = spec.defaultValue.toScalar();
      return true;
    }
    if (type == napi_boolean) {
      bool b;
      napi_get_value_bool(env, raw, &b);
      *out = Scalar(b);
      return true;
    }
    if (type != napi_number) return false;
    double d;
    napi_get_value_double(env, raw, &d);
    if (IsIntegral(d))
      *out = Scalar(static_cast<int64_t>(d));
    else
      *out = Scalar(d);
    return true;
  }

  bool GetInt(size_t i, int64_t* out) const {
    napi_valuetype type;
    napi_value raw = Raw(i, &type);
    if (type == napi_undefined) {
      const ArgSpec& spec = op.args[i];
      if (!spec.hasDefault || !spec.defaultValue.isInt()) return false;
      *out = spec.defaultValue.toInt();
      return true;
    }
    if (type != napi_number) return false;
    double d;
    napi_get_value_double(env, raw, &d);
    if (!IsIntegral(d)) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }

  // A tensor handle or null/undefined (None).
  bool GetOptTensor(size_t i, OptTensor* out) const {
    napi_valuetype type;
    napi_value raw = Raw(i, &type);
    if (type == napi_undefined || type == napi_null) {
      *out = c10::nullopt;
      return true;
    }
    if (type != napi_number) return false;
    TensorBox* box = BoxOfNumber(env, raw);
    if (box == nullptr || box->disposed) return false;
    *out = box->tensor;
    return true;
  }

  // An array of tensor handles.
  bool GetTensors(size_t i, TensorVec* out) const {
    napi_valuetype type;
    napi_value raw = Raw(i, &type);
    bool isArray = false;
    if (type != napi_object || napi_is_array(env, raw, &isArray) != napi_ok || !isArray) return false;
    uint32_t n = 0;
    napi_get_array_length(env, raw, &n);
    out->reserve(n);
    for (uint32_t k = 0; k < n; ++k) {
      napi_value e;
      napi_valuetype t;
      if (napi_get_element(env, raw, k, &e) != napi_ok || napi_typeof(env, e, &t) != napi_ok || t != napi_number)
        return false;
      TensorBox* box = BoxOfNumber(env, e);
      if (box == nullptr || box->disposed) return false;
      out->push_back(box->tensor);
    }
    return true;
  }

  // An int[N] argument: one number (repeated N times, as in Python), an
  // array of integers, or undefined for the default.
  bool GetInts(size_t i, IntVec* out) const {
    const ArgSpec& spec = op.args[i];
    napi_valuetype type;
    napi_value raw = Raw(i, &type);
    if (type == napi_undefined) {
      if (!spec.hasDefault || !spec.defaultValue.isIntList()) return false;
      for (int64_t v : spec.defaultValue.toIntList()) out->push_back(v);
      return true;
    }
    double d;
    if (type == napi_number) {
      if (spec.fixedLength <= 0) return false;
      napi_get_value_double(env, raw, &d);
      if (!std::isfinite(d) || std::trunc(d) != d) return false;
      out->assign(spec.fixedLength, static_cast<int64_t>(d));
      return true;
    }
    bool isArray = false;
    if (type != napi_object || napi_is_array(env, raw, &isArray) != napi_ok || !isArray) return false;
    uint32_t n = 0;
    napi_get_array_length(env, raw, &n);
    for (uint32_t k = 0; k < n; ++k) {
      napi_value e;
      napi_valuetype t;
      if (napi_get_element(env, raw, k, &e) != napi_ok || napi_typeof(env, e, &t) != napi_ok || t != napi_number ||
          napi_get_value_double(env, e, &d) != napi_ok || !std::isfinite(d) || std::trunc(d) != d)
        return false;
      out->push_back(static_cast<int64_t>(d));
    }
    return true;
  }

  bool GetOptDtype(size_t i, OptDtype* out) const {
    napi_valuetype type;
    napi_value raw = Raw(i, &type);
    if (type == napi_undefined || type == napi_null) {
      *out = c10::nullopt;
      return type == napi_null || !op.args[i].hasDefault || op.args[i].defaultValue.isNone();
    }
    if (type != napi_string) return false;
    char buf[16];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, raw, buf, sizeof buf, &len) != napi_ok || len >= sizeof buf - 1) return false;
    at::ScalarType t;
    if (!ParseDtype(std::string(buf, len), &t)) return false;
    *out = t;
    return true;
  }
};

}  // namespace

Unboxed DetectUnboxed(const OpEntry& op) {
  const auto& a = op.args;
  if (!op.returnsOneTensor) return Unboxed::None;
  for (const ArgSpec& spec : a) {
    if (spec.writes && &spec != &a[0]) return Unboxed::None;
  }
  const bool inplace = !a.empty() && a[0].writes;
  if (inplace && op.returnAliasesArg[0] != 0) return Unboxed::None;
  const size_t n = a.size();
  if (n == 2 && !inplace && IsTensorList(a[0]) && IsInt(a[1])) {
    if (Confirm<Tensor(const at::ITensorListRef&, int64_t)>(op)) return Unboxed::LIr;
    if (Confirm<Tensor(at::TensorList, int64_t)>(op)) return Unboxed::LIa;
    return Unboxed::None;
  }
  if (n == 0 || !IsTensor(a[0])) return Unboxed::None;
  if (inplace) {
    if (n == 1) return Confirm<Tensor&(Tensor&)>(op) ? Unboxed::Tm : Unboxed::None;
    if (n == 2 && IsTensor(a[1])) return Confirm<Tensor&(Tensor&, const Tensor&)>(op) ? Unboxed::TmT : Unboxed::None;
    if (n == 2 && IsScalar(a[1])) return Confirm<Tensor&(Tensor&, const Scalar&)>(op) ? Unboxed::TmS : Unboxed::None;
    if (n == 3 && IsTensor(a[1]) && IsScalar(a[2]))
      return Confirm<Tensor&(Tensor&, const Tensor&, const Scalar&)>(op) ? Unboxed::TmTS : Unboxed::None;
    return Unboxed::None;
  }
  if (n == 1) return Confirm<Tensor(const Tensor&)>(op) ? Unboxed::T : Unboxed::None;
  if (n == 2 && IsTensor(a[1])) return Confirm<Tensor(const Tensor&, const Tensor&)>(op) ? Unboxed::TT : Unboxed::None;
  if (n == 2 && IsScalar(a[1])) return Confirm<Tensor(const Tensor&, const Scalar&)>(op) ? Unboxed::TS : Unboxed::None;
  if (n == 2 && IsOptDtype(a[1])) return Confirm<Tensor(const Tensor&, OptDtype)>(op) ? Unboxed::TD : Unboxed::None;
  if (n == 3 && IsTensor(a[1]) && IsScalar(a[2]))
    return Confirm<Tensor(const Tensor&, const Tensor&, const Scalar&)>(op) ? Unboxed::TTS : Unboxed::None;
  if (n == 3 && IsInt(a[1]) && IsOptDtype(a[2]))
    return Confirm<Tensor(const Tensor&, int64_t, OptDtype)>(op) ? Unboxed::TID : Unboxed::None;
  if (n == 3 && IsInt(a[1]) && IsInt(a[2]))
    return Confirm<Tensor(const Tensor&, int64_t, int64_t)>(op) ? Unboxed::TII : Unboxed::None;
  if (n == 3 && IsInt(a[1]) && IsTensor(a[2]))
    return Confirm<Tensor(const Tensor&, int64_t, const Tensor&)>(op) ? Unboxed::TIT : Unboxed::None;
  if (n == 3 && IsTensor(a[1]) && IsOptTensor(a[2]))
    return Confirm<Tensor(const Tensor&, const Tensor&, const OptTensor&)>(op) ? Unboxed::TTO : Unboxed::None;
  if (n == 7 && IsTensor(a[1]) && IsOptTensor(a[2]) && IsIntList(a[3]) && IsIntList(a[4]) && IsIntList(a[5]) &&
      IsInt(a[6]))
    return Confirm<Tensor(const Tensor&, const Tensor&, const OptTensor&, at::IntArrayRef, at::IntArrayRef,
                          at::IntArrayRef, int64_t)>(op)
               ? Unboxed::Conv
               : Unboxed::None;
  return Unboxed::None;
}

bool CallUnboxed(const Napi::CallbackInfo& info, size_t first, const OpEntry& op, Napi::Value* result) {
  if (info.Length() - first > op.args.size()) return false;
  Napi::Env env = info.Env();
  Args args{env, info, first, op};
  const Unboxed shape = static_cast<Unboxed>(op.unboxed);
  if (shape == Unboxed::LIr || shape == Unboxed::LIa) {
    TensorVec tensors;
    int64_t dim;
    if (!args.GetTensors(0, &tensors) || !args.GetInt(1, &dim)) return false;
    at::TensorList list(tensors.data(), tensors.size());
    *result = WrapTensor(env, shape == Unboxed::LIr
                                  ? op.handle.typed<Tensor(const at::ITensorListRef&, int64_t)>().call(list, dim)
                                  : op.handle.typed<Tensor(at::TensorList, int64_t)>().call(list, dim));
    return true;
  }
  Tensor* self = args.GetTensor(0);
  if (self == nullptr) return false;
  Scalar s;
  int64_t i1, i2;
  OptDtype dtype;
  switch (shape) {
    case Unboxed::T:
      *result = WrapTensor(env, op.handle.typed<Tensor(const Tensor&)>().call(*self));
      return true;
    case Unboxed::TT: {
      Tensor* other = args.GetTensor(1);
      if (other == nullptr) return false;
      *result = WrapTensor(env, op.handle.typed<Tensor(const Tensor&, const Tensor&)>().call(*self, *other));
      return true;
    }
    case Unboxed::TTS: {
      Tensor* other = args.GetTensor(1);
      if (other == nullptr || !args.GetScalar(2, &s)) return false;
      *result = WrapTensor(
          env, op.handle.typed<Tensor(const Tensor&, const Tensor&, const Scalar&)>().call(*self, *other, s));
      return true;
    }
    case Unboxed::TS:
      if (!args.GetScalar(1, &s)) return false;
      *result = WrapTensor(env, op.handle.typed<Tensor(const Tensor&, const Scalar&)>().call(*self, s));
      return true;
    case Unboxed::TD:
      if (!args.GetOptDtype(1, &dtype)) return false;
      *result = WrapTensor(env, op.handle.typed<Tensor(const Tensor&, OptDtype)>().call(*self, dtype));
      return true;
    case Unboxed::TID:
      if (!args.GetInt(1, &i1) || !args.GetOptDtype(2, &dtype)) return false;
      *result = WrapTensor(env, op.handle.typed<Tensor(const Tensor&, int64_t, OptDtype)>().call(*self, i1, dtype));
      return true;
    case Unboxed::TII:
      if (!args.GetInt(1, &i1) || !args.GetInt(2, &i2)) return false;
      *result = WrapTensor(env, op.handle.typed<Tensor(const Tensor&, int64_t, int64_t)>().call(*self, i1, i2));
      return true;
    case Unboxed::Tm:
      op.handle.typed<Tensor&(Tensor&)>().call(*self);
      *result = info[first];
      return true;
    case Unboxed::TmT: {
      Tensor* other = args.GetTensor(1);
      if (other == nullptr) return false;
      op.handle.typed<Tensor&(Tensor&, const Tensor&)>().call(*self, *other);
      *result = info[first];
      return true;
    }
    case Unboxed::TmTS: {
      Tensor* other = args.GetTensor(1);
      if (other == nullptr || !args.GetScalar(2, &s)) return false;
      op.handle.typed<Tensor&(Tensor&, const Tensor&, const Scalar&)>().call(*self, *other, s);
      *result = info[first];
      return true;
    }
    case Unboxed::TmS:
      if (!args.GetScalar(1, &s)) return false;
      op.handle.typed<Tensor&(Tensor&, const Scalar&)>().call(*self, s);
      *result = info[first];
      return true;
    case Unboxed::TIT: {
      Tensor* index = args.GetTensor(2);
      if (!args.GetInt(1, &i1) || index == nullptr) return false;
      *result = WrapTensor(
          env, op.handle.typed<Tensor(const Tensor&, int64_t, const Tensor&)>().call(*self, i1, *index));
      return true;
    }
    case Unboxed::TTO: {
      Tensor* other = args.GetTensor(1);
      OptTensor third;
      if (other == nullptr || !args.GetOptTensor(2, &third)) return false;
      *result = WrapTensor(
          env, op.handle.typed<Tensor(const Tensor&, const Tensor&, const OptTensor&)>().call(*self, *other, third));
      return true;
    }
    case Unboxed::Conv: {
      Tensor* weight = args.GetTensor(1);
      OptTensor bias;
      IntVec stride, padding, dilation;
      if (weight == nullptr || !args.GetOptTensor(2, &bias) || !args.GetInts(3, &stride) ||
          !args.GetInts(4, &padding) || !args.GetInts(5, &dilation) || !args.GetInt(6, &i1))
        return false;
      *result = WrapTensor(env, op.handle
                                    .typed<Tensor(const Tensor&, const Tensor&, const OptTensor&, at::IntArrayRef,
                                                  at::IntArrayRef, at::IntArrayRef, int64_t)>()
                                    .call(*self, *weight, bias, stride, padding, dilation, i1));
      return true;
    }
    case Unboxed::LIr:
    case Unboxed::LIa:
    case Unboxed::None:
      return false;
  }
  return false;
}

}  // namespace selfsup
