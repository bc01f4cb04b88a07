// c10d's broadcast_coalesced (2.x), a declaration for the syntax check (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>

namespace c10d {
void broadcast_coalesced(const c10::intrusive_ptr<c10d::ProcessGroup>& process_group, at::TensorList tensors,
                         size_t buffer_size, int rank = 0);
}  // namespace c10d
