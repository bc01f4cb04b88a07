// Stub for scripts/cuda/check-syntax.js: the CUDA build generates this file; nothing is needed to parse.
#pragma once
