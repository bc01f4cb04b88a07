#include "backends.h"

#include <ATen/Context.h>

#include <string>

#include "handle.h"

namespace selfsup {
namespace {

// NOTE: libtorch 2.9 added a second TF32 API (fp32_precision per backend and
// operator); the legacy flags used here exist in 1.13 through 2.11 and are
// what torch.backends.*.allow_tf32 set. allowTF32CuDNN() takes an optional
// operator argument since 2.9; the call without one means all of them.
std::string PrecisionName(at::Float32MatmulPrecision p) {
  switch (p) {
    case at::Float32MatmulPrecision::HIGHEST: return "highest";
    case at::Float32MatmulPrecision::HIGH: return "high";
    case at::Float32MatmulPrecision::MEDIUM: return "medium";
  }
  return "highest";
}

Napi::Value BackendsGet(const Napi::CallbackInfo& info) {
  auto& ctx = at::globalContext();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("matmulAllowTF32", ctx.allowTF32CuBLAS());
  out.Set("cudnnAllowTF32", ctx.allowTF32CuDNN());
  out.Set("cudnnBenchmark", ctx.benchmarkCuDNN());
  out.Set("cudnnDeterministic", ctx.deterministicCuDNN());
  out.Set("float32MatmulPrecision", PrecisionName(ctx.float32MatmulPrecision()));
  return out;
}

Napi::Value BackendsSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  auto& ctx = at::globalContext();
  if (name == "float32MatmulPrecision") {
    std::string p = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    if (p != "highest" && p != "high" && p != "medium")
      throw Napi::TypeError::New(env, "Expected 'highest', 'high' or 'medium' for the float32 matmul precision but received " +
                                          info[1].ToString().Utf8Value());
    ctx.setFloat32MatmulPrecision(p);
    return env.Undefined();
  }
  if (!info[1].IsBoolean())
    throw Napi::TypeError::New(env, "Expected a boolean for " + name + " but received " + info[1].ToString().Utf8Value());
  bool b = info[1].As<Napi::Boolean>().Value();
  if (name == "matmulAllowTF32") {
    ctx.setAllowTF32CuBLAS(b);
  } else if (name == "cudnnAllowTF32") {
    ctx.setAllowTF32CuDNN(b);
  } else if (name == "cudnnBenchmark") {
    ctx.setBenchmarkCuDNN(b);
  } else if (name == "cudnnDeterministic") {
    ctx.setDeterministicCuDNN(b);
  } else {
    throw Napi::TypeError::New(env, "Unknown backend switch '" + name + "'");
  }
  return env.Undefined();
}

}  // namespace

void InitBackends(Napi::Env env, Napi::Object exports) {
  Export<BackendsGet>(env, exports, "backendsGet");
  Export<BackendsSet>(env, exports, "backendsSet");
}

}  // namespace selfsup
