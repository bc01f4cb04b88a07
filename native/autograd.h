// The autograd engine and grad mode: what the dispatcher cannot reach.
#pragma once

#include <napi.h>

namespace selfsup {

// backward(outputs, grads, retainGraph, createGraph, inputs?),
// grad(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused),
// getGrad(t), setGrad(t, g|undefined), requiresGrad(t), setRequiresGrad(t, b),
// isLeaf(t), retainGrad(t), gradFnName(t),
// isGradEnabled(), setGradEnabled(b), isInferenceMode().
void InitAutograd(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
