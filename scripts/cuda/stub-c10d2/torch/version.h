// libtorch 2.x's version header, for the c10d syntax check (README.md).
#pragma once
#define TORCH_VERSION_MAJOR 2
#define TORCH_VERSION_MINOR 11
#define TORCH_VERSION_PATCH 0
#define TORCH_VERSION "2.11.0 (c10d declarations for the syntax check)"
