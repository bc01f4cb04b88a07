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

// The collectives Backend and ProcessGroup both declare (the same signatures in 2.x), and the sequence number.
#define SELFSUP_STUB_COLLECTIVES                                                                               \
  virtual c10::intrusive_ptr<Work> broadcast(std::vector<at::Tensor>& tensors,                                 \
                                             const BroadcastOptions& opts = BroadcastOptions());               \
  virtual c10::intrusive_ptr<Work> allreduce(std::vector<at::Tensor>& tensors,                                 \
                                             const AllreduceOptions& opts = AllreduceOptions());               \
  virtual c10::intrusive_ptr<Work> allgather(std::vector<std::vector<at::Tensor>>& outputTensors,              \
                                             std::vector<at::Tensor>& inputTensors,                            \
                                             const AllgatherOptions& opts = AllgatherOptions());               \
  virtual c10::intrusive_ptr<Work> barrier(const BarrierOptions& opts = BarrierOptions());                     \
  virtual void setSequenceNumberForGroup();
