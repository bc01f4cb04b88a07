#include "autograd.h"

#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>

#include "handle.h"

namespace selfsup {
namespace {

using torch::autograd::variable_list;

variable_list TensorsOf(const Napi::Value& v, const std::string& what, bool allowNull = false) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "Expected an array of Tensors for " + what);
  Napi::Array arr = v.As<Napi::Array>();
  variable_list out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if (allowNull && (e.IsNull() || e.IsUndefined())) {
      out.emplace_back();
      continue;
    }
    out.push_back(TensorOf(e, what + "[" + std::to_string(i) + "]"));
  }
  return out;
}

c10::optional<bool> OptionalBool(const Napi::Value& v) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  return c10::nullopt;
}

bool BoolOr(const Napi::Value& v, bool fallback) { return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback; }

Napi::Value Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "backward", [&]() -> Napi::Value {
    variable_list outputs = TensorsOf(info[0], "outputs");
    variable_list grads = info[1].IsArray() ? TensorsOf(info[1], "gradients", true) : variable_list{};
    variable_list inputs = info[4].IsArray() ? TensorsOf(info[4], "inputs") : variable_list{};
    torch::autograd::backward(outputs, grads, OptionalBool(info[2]), BoolOr(info[3], false), inputs);
    return env.Undefined();
  });
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "autograd.grad", [&]() -> Napi::Value {
    variable_list outputs = TensorsOf(info[0], "outputs");
    variable_list inputs = TensorsOf(info[1], "inputs");
    variable_list gradOutputs = info[2].IsArray() ? TensorsOf(info[2], "gradOutputs", true) : variable_list{};
    variable_list result = torch::autograd::grad(outputs, inputs, gradOutputs, OptionalBool(info[3]),
                                                 BoolOr(info[4], false), BoolOr(info[5], false));
    Napi::Array arr = Napi::Array::New(env, result.size());
    for (size_t i = 0; i < result.size(); ++i)
      arr.Set(i, result[i].defined() ? WrapTensor(env, result[i]) : env.Null());
    return arr;
  });
}

Napi::Value GetGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& g = TensorOf(info[0], "grad").grad();
  return g.defined() ? WrapTensor(info.Env(), g) : info.Env().Undefined();
}

Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = TensorOf(info[0], "grad");
  if (info[1].IsUndefined() || info[1].IsNull()) {
    t.mutable_grad().reset();
    return env.Undefined();
  }
  const at::Tensor& g = TensorOf(info[1], "grad value");
  if (g.sizes() != t.sizes())
    Fail(env, "Cannot assign a gradient of shape [" + c10::Join(", ", g.sizes()) + "] to a tensor of shape [" +
                  c10::Join(", ", t.sizes()) + "]");
  if (g.scalar_type() != t.scalar_type() || g.device() != t.device())
    Fail(env, "Cannot assign a gradient of " + DtypeName(g.scalar_type()) + " on " + DeviceName(g.device()) +
                  " to a tensor of " + DtypeName(t.scalar_type()) + " on " + DeviceName(t.device()));
  t.mutable_grad() = g;
  return env.Undefined();
}

Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), TensorOf(info[0], "requiresGrad").requires_grad());
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  at::Tensor t = TensorOf(info[0], "requiresGrad_");
  bool value = BoolOr(info[1], true);
  return Guard(info.Env(), "requiresGrad_", [&]() -> Napi::Value {
    if (value && !t.is_leaf())
      Fail(info.Env(), "requiresGrad_ can only change leaf tensors; use detach() to make a leaf from a result");
    if (value && !(at::isFloatingType(t.scalar_type()) || at::isComplexType(t.scalar_type())))
      Fail(info.Env(), "Only floating point and complex tensors can require gradients, not " +
                           DtypeName(t.scalar_type()));
    t.set_requires_grad(value);
    return info.Env().Undefined();
  });
}

// PyTorch's `param.data = value`: the tensor keeps its identity (and autograd
// flags) but adopts value's storage, dtype and device. Module.to() uses it so
// that optimizers holding the parameter see the moved tensor.
Napi::Value SetData(const Napi::CallbackInfo& info) {
  at::Tensor t = TensorOf(info[0], "setData");
  const at::Tensor& value = TensorOf(info[1], "setData value");
  return Guard(info.Env(), "setData", [&]() -> Napi::Value {
    t.set_data(value);
    return info.Env().Undefined();
  });
}

Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), TensorOf(info[0], "isLeaf").is_leaf());
}

Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = TensorOf(info[0], "retainGrad");
  return Guard(info.Env(), "retainGrad", [&]() -> Napi::Value {
    t.retain_grad();
    return info.Env().Undefined();
  });
}

Napi::Value GradFnName(const Napi::CallbackInfo& info) {
  const auto& fn = TensorOf(info[0], "gradFn").grad_fn();
  return fn ? Napi::Value(Napi::String::New(info.Env(), fn->name())) : info.Env().Null();
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  c10::GradMode::set_enabled(BoolOr(info[0], true));
  return info.Env().Undefined();
}

}  // namespace

void InitAutograd(Napi::Env env, Napi::Object exports) {
  Export<Backward>(env, exports, "backward");
  Export<Grad>(env, exports, "grad");
  Export<GetGrad>(env, exports, "getGrad");
  Export<SetGrad>(env, exports, "setGrad");
  Export<RequiresGrad>(env, exports, "requiresGrad");
  Export<SetRequiresGrad>(env, exports, "setRequiresGrad");
  Export<IsLeaf>(env, exports, "isLeaf");
  Export<SetData>(env, exports, "setData");
  Export<RetainGrad>(env, exports, "retainGrad");
  Export<GradFnName>(env, exports, "gradFnName");
  Export<IsGradEnabled>(env, exports, "isGradEnabled");
  Export<SetGradEnabled>(env, exports, "setGradEnabled");
}

}  // namespace selfsup
