// c10d's collective options (2.x), declarations for the syntax check (README.md).
#pragma once
#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace c10d {
constexpr auto kUnsetTimeout = std::chrono::milliseconds(-1);

struct ReduceOp : torch::CustomClassHolder {
  enum RedOpType : uint8_t { SUM = 0, AVG = 1, PRODUCT = 2, MIN = 3, MAX = 4, BAND = 5, BOR = 6, BXOR = 7,
                             PREMUL_SUM = 8, UNUSED = 9 };
  ReduceOp() = default;
  ReduceOp(RedOpType op) : op_(op) {}
  RedOpType op_ = SUM;
};

struct BroadcastOptions {
  int64_t rootRank = 0;
  int64_t rootTensor = 0;
  std::chrono::milliseconds timeout = kUnsetTimeout;
  bool asyncOp = true;
};

struct AllreduceOptions {
  ReduceOp reduceOp = ReduceOp::SUM;
  std::chrono::milliseconds timeout = kUnsetTimeout;
  std::optional<at::Tensor> sparseIndices = std::nullopt;
  bool asyncOp = true;
};

struct AllgatherOptions {
  std::chrono::milliseconds timeout = kUnsetTimeout;
  bool asyncOp = true;
};

struct BarrierOptions {
  std::vector<int64_t> device_ids;
  std::chrono::milliseconds timeout = kUnsetTimeout;
  std::optional<at::Device> device;
  bool asyncOp = true;
};
}  // namespace c10d
