// Random number generators: manual seeds and Generator handles.
#pragma once

#include <napi.h>
#include <ATen/core/Generator.h>

namespace selfsup {

// The generator behind a JS handle (made by newGenerator), or nullptr.
at::Generator* GeneratorOf(const Napi::Value& value);

// manualSeed(seed), newGenerator(seed, device), generatorSeed(g, seed),
// generatorInitialSeed(g).
void InitRandom(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
