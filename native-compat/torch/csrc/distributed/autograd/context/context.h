// Stand-in for a header that c10d's reducer.hpp includes but Debian's
// libtorch-dev does not ship (distributed autograd, the RPC framework). The
// build searches this folder after the system's (-idirafter), so a libtorch
// that has the real header uses it. reducer.hpp only needs the two names below:
// a callback type (checked equal to its own by a static_assert) and a
// shared_ptr member, whose layout does not depend on the pointee.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
