// c10d::FileStore (2.x), declarations for the syntax check (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>

namespace c10d {
class FileStore : public Store {
 public:
  explicit FileStore(std::string path, int numWorkers);
  SELFSUP_STUB_STORE_OVERRIDES
};
}  // namespace c10d
