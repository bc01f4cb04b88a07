// Stub for scripts/cuda/check-syntax.js (see cuda_runtime_api.h).
#pragma once
#include "cuda_runtime_api.h"
