// c10d::ProcessGroupGloo (2.x: a Backend), declarations for the syntax check (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <memory>

namespace gloo::transport {
class Device;
}

namespace c10d {
class ProcessGroupGloo : public Backend {
 public:
  struct Options : public Backend::Options {
    explicit Options(std::chrono::milliseconds timeout = kBackendDefaultTimeout);
    static c10::intrusive_ptr<Options> create(std::chrono::milliseconds timeout = kBackendDefaultTimeout);
    std::vector<std::shared_ptr<::gloo::transport::Device>> devices;
    int threads;
  };
  static std::shared_ptr<::gloo::transport::Device> createDeviceForInterface(const std::string& interface,
                                                                              bool lazyInit = false);
  static std::shared_ptr<::gloo::transport::Device> createDefaultDevice(bool lazyInit = false);
  explicit ProcessGroupGloo(const c10::intrusive_ptr<Store>& store, int rank, int size,
                            c10::intrusive_ptr<Options> options = Options::create());
};
}  // namespace c10d
