#include "random.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include <mutex>

#include "handle.h"

namespace selfsup {
namespace {

struct GeneratorBox {
  HandleKind kind = HandleKind::Generator;
  at::Generator generator;
};

uint64_t SeedOf(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t s = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(v.Env(), "Expected a seed that fits in 64 bits");
    return s;
  }
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), "Expected a non-negative integer seed");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d != static_cast<double>(static_cast<uint64_t>(d)))
    throw Napi::RangeError::New(v.Env(), "Expected a non-negative integer seed but received " +
                                             v.ToString().Utf8Value());
  return static_cast<uint64_t>(d);
}

void Seed(const at::Generator& generator, uint64_t seed) {
  // The default generators are handed out as const references but are
  // seeded in place, as torch.manual_seed does.
  at::Generator& g = const_cast<at::Generator&>(generator);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_current_seed(seed);
}

// Seeds the CPU generator and, where there are GPUs, every CUDA generator,
// as torch.manual_seed does.
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  uint64_t seed = SeedOf(info[0]);
  Seed(at::detail::getDefaultCPUGenerator(), seed);
  const auto& hooks = at::detail::getCUDAHooks();
  if (hooks.hasCUDA()) {
    // Context::defaultGenerator is the same call in libtorch 1.13 and 2.x
    // (the CUDA hooks renamed theirs).
    for (int i = 0; i < hooks.getNumGPUs(); ++i)
      Seed(at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i))), seed);
  }
  return info.Env().Undefined();
}

Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t seed = info[0].IsUndefined() ? at::default_rng_seed_val : SeedOf(info[0]);
  std::string device = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
  if (device != "cpu") {
    throw Napi::Error::New(env, "Generator: only 'cpu' generators can be created; on CUDA the default "
                                "generator is seeded by manualSeed (device '" + device + "' requested)");
  }
  auto* box = new GeneratorBox();
  box->generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return Napi::External<GeneratorBox>::New(env, box, [](Napi::Env, GeneratorBox* b) { delete b; });
}

GeneratorBox* BoxOfGenerator(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  auto* box = v.As<Napi::External<GeneratorBox>>().Data();
  if (box == nullptr || box->kind != HandleKind::Generator) return nullptr;
  return box;
}

GeneratorBox& RequireGenerator(const Napi::Value& v) {
  GeneratorBox* box = BoxOfGenerator(v);
  if (box == nullptr) throw Napi::TypeError::New(v.Env(), "Expected a Generator");
  return *box;
}

Napi::Value GeneratorSeed(const Napi::CallbackInfo& info) {
  Seed(RequireGenerator(info[0]).generator, SeedOf(info[1]));
  return info.Env().Undefined();
}

Napi::Value GeneratorInitialSeed(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), RequireGenerator(info[0]).generator.current_seed());
}

// The generator a JS value names: a Generator, null / undefined for the
// default CPU generator (torch.get_rng_state / set_rng_state), or a CUDA
// device index (a number) for that GPU's default generator
// (torch.cuda.get_rng_state / set_rng_state).
at::Generator GeneratorOrDefault(const Napi::Value& v) {
  if (v.IsNull() || v.IsUndefined()) return at::detail::getDefaultCPUGenerator();
  if (v.IsNumber()) {
    const auto& hooks = at::detail::getCUDAHooks();
    int64_t index = v.As<Napi::Number>().Int64Value();
    if (!hooks.hasCUDA() || index < 0 || index >= hooks.getNumGPUs())
      throw Napi::RangeError::New(v.Env(), "No CUDA device " + std::to_string(index) + " for its random generator: " +
                                               std::to_string(hooks.hasCUDA() ? hooks.getNumGPUs() : 0) +
                                               " visible (this libtorch " TORCH_VERSION ")");
    return at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)));
  }
  return RequireGenerator(v).generator;
}

// The generator's whole state as a uint8 tensor, as Generator.get_state():
// the same bytes PyTorch returns, so states move between the two.
Napi::Value GeneratorGetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "Generator.getState", [&]() -> Napi::Value {
    at::Generator g = GeneratorOrDefault(info[0]);
    std::lock_guard<std::mutex> lock(g.mutex());
    return WrapTensor(env, g.get_state());
  });
}

Napi::Value GeneratorSetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor state = TensorOf(info[1], "state");
  return Guard(env, "Generator.setState", [&]() -> Napi::Value {
    at::Generator g = GeneratorOrDefault(info[0]);
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(state);
    return env.Undefined();
  });
}

}  // namespace

at::Generator* GeneratorOf(const Napi::Value& value) {
  Napi::Value v = value;
  if (v.IsObject() && !v.IsExternal()) v = v.As<Napi::Object>().Get("_h");
  GeneratorBox* box = BoxOfGenerator(v);
  return box == nullptr ? nullptr : &box->generator;
}

void InitRandom(Napi::Env env, Napi::Object exports) {
  Export<ManualSeed>(env, exports, "manualSeed");
  Export<NewGenerator>(env, exports, "newGenerator");
  Export<GeneratorSeed>(env, exports, "generatorSeed");
  Export<GeneratorInitialSeed>(env, exports, "generatorInitialSeed");
  Export<GeneratorGetState>(env, exports, "generatorGetState");
  Export<GeneratorSetState>(env, exports, "generatorSetState");
}

}  // namespace selfsup
