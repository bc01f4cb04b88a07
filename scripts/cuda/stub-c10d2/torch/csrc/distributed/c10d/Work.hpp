// c10d::Work (2.x), declarations for the syntax check (README.md).
#pragma once
#include <ATen/core/ivalue.h>
#include <chrono>

namespace c10d {
constexpr auto kNoTimeout = std::chrono::milliseconds(0);

class Work : public torch::CustomClassHolder {
 public:
  ~Work() override;
  virtual bool wait(std::chrono::milliseconds timeout = kNoTimeout);
};
}  // namespace c10d
