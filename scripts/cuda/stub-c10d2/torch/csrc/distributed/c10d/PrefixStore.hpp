// c10d::PrefixStore (2.x), declarations for the syntax check (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>

namespace c10d {
class PrefixStore : public Store {
 public:
  explicit PrefixStore(std::string prefix, c10::intrusive_ptr<Store> store);
  SELFSUP_STUB_STORE_OVERRIDES
};
}  // namespace c10d
