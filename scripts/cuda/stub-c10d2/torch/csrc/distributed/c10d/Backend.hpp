// c10d::Backend (2.x: what ProcessGroupGloo and ProcessGroupNCCL derive from),
// declarations for the syntax check (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <optional>
#include <string>
#include <vector>

namespace c10d {
constexpr auto kBackendDefaultTimeout = std::chrono::milliseconds(30 * 60 * 1000);

class Backend : public torch::CustomClassHolder {
 public:
  struct Options : torch::CustomClassHolder {
    explicit Options(std::string backend, std::chrono::milliseconds timeout = kBackendDefaultTimeout);
    std::chrono::milliseconds timeout;
    const std::string backend;
  };
  explicit Backend(int rank, int size);
  ~Backend() override;
  int getRank() const;
  int getSize() const;
  SELFSUP_STUB_COLLECTIVES
  std::optional<at::Device> getBoundDeviceId() const;
  void setBoundDeviceId(std::optional<at::Device> device);
};
}  // namespace c10d
