// c10d::ProcessGroup (2.x: a front over one Backend per device type),
// declarations for the syntax check; SELFSUP_STUB_C10D2 picks the generation
// (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <optional>
#include <string>

#ifndef SELFSUP_STUB_C10D2
#define SELFSUP_STUB_C10D2 3
#endif

namespace c10d {
class ProcessGroup : public torch::CustomClassHolder {
 public:
  enum BackendType : uint8_t { UNDEFINED = 0, GLOO = 1, NCCL = 2, UCC = 3, MPI = 4, XCCL = 5, CUSTOM = 6 };
  explicit ProcessGroup(int rank, int size);
#if SELFSUP_STUB_C10D2 == 1
  struct Options : torch::CustomClassHolder {
    explicit Options(std::string backend, std::chrono::milliseconds timeout = kBackendDefaultTimeout);
    std::chrono::milliseconds timeout;
    const std::string backend;
  };
  explicit ProcessGroup(const c10::intrusive_ptr<::c10d::Store>& store, int rank, int size,
                        c10::intrusive_ptr<Options> options);
#else
  explicit ProcessGroup(c10::intrusive_ptr<::c10d::Store> store, int rank, int size);
  void setDefaultBackend(const BackendType& backendType);
  void setDefaultBackend(const std::string& backend);
#endif
  ~ProcessGroup() override;
  virtual int getRank() const;
  virtual int getSize() const;
  SELFSUP_STUB_COLLECTIVES
  void setBackend(c10::DeviceType deviceType, BackendType backendType,
                  const std::optional<c10::intrusive_ptr<Backend>>& backend);
};
}  // namespace c10d
