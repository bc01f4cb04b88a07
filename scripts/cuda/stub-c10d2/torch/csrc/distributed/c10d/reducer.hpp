// c10d::Reducer (2.x), declarations for the syntax check; SELFSUP_STUB_C10D2
// picks the constructor's generation (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace c10d {
class Logger;

class Reducer {
 public:
#if SELFSUP_STUB_C10D2 == 1
  explicit Reducer(std::vector<at::Tensor> params, std::vector<std::vector<size_t>> bucket_indices,
                   const std::vector<size_t>& per_bucket_size_limits,
                   c10::intrusive_ptr<c10d::ProcessGroup> process_group, std::vector<bool> expect_sparse_gradients,
                   int64_t bucket_bytes_cap, bool find_unused_parameters, bool gradient_as_bucket_view,
                   std::unordered_map<size_t, std::string> param_names, int64_t first_bucket_bytes_cap);
#elif SELFSUP_STUB_C10D2 == 2
  explicit Reducer(std::vector<at::Tensor> params, std::vector<std::vector<size_t>> bucket_indices,
                   c10::intrusive_ptr<c10d::ProcessGroup> process_group, std::vector<bool> expect_sparse_gradients,
                   int64_t bucket_bytes_cap, bool find_unused_parameters, bool gradient_as_bucket_view,
                   std::unordered_map<size_t, std::string> param_names, int64_t first_bucket_bytes_cap,
                   bool skip_all_reduce_unused_params, bool use_python_reducer);
#else
  explicit Reducer(std::vector<at::Tensor> params, std::vector<std::vector<size_t>> bucket_indices,
                   c10::intrusive_ptr<c10d::ProcessGroup> process_group, std::vector<bool> expect_sparse_gradients,
                   int64_t bucket_bytes_cap, bool find_unused_parameters, bool gradient_as_bucket_view,
                   std::unordered_map<size_t, std::string> param_names, int64_t first_bucket_bytes_cap,
                   bool skip_all_reduce_unused_params, bool use_python_reducer,
                   std::vector<int64_t> bucket_bytes_cap_list, bool batched_grad_copy = false);
#endif
  ~Reducer() noexcept(false);
  void prepare_for_backward(const std::vector<at::Tensor>& outputs);
  void prepare_for_forward();
  bool rebuild_buckets();
};

std::tuple<std::vector<std::vector<size_t>>, std::vector<size_t>> compute_bucket_assignment_by_size(
    const std::vector<at::Tensor>& tensors, const std::vector<size_t>& bucket_size,
    const std::vector<bool>& expect_sparse_gradient = {}, const std::vector<int64_t>& tensor_indices = {},
    const std::optional<std::weak_ptr<c10d::Logger>>& logger = {});
}  // namespace c10d
