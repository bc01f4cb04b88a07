#include "unboxed.h"

#include <ATen/core/Tensor.h>

#include <cmath>

namespace selfsup {
namespace {

using at::Scalar;
using at::Tensor;
using OptDtype = c10::optional<at::ScalarType>;

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
    // NOTE: the same rule as the boxed path: integral numbers are integer Scalars.
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0)
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
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740992.0) return false;
    *out = static_cast<int64_t>(d);
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
  return Unboxed::None;
}

bool CallUnboxed(const Napi::CallbackInfo& info, size_t first, const OpEntry& op, Napi::Value* result) {
  if (info.Length() - first > op.args.size()) return false;
  Napi::Env env = info.Env();
  Args args{env, info, first, op};
  Tensor* self = args.GetTensor(0);
  if (self == nullptr) return false;
  Scalar s;
  int64_t i1, i2;
  OptDtype dtype;
  switch (static_cast<Unboxed>(op.unboxed)) {
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
    case Unboxed::None:
      return false;
  }
  return false;
}

}  // namespace selfsup
