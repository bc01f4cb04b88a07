// c10d::TCPStore (2.x), declarations for the syntax check (README.md).
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <optional>

namespace c10d {
struct TCPStoreOptions {
  static constexpr uint16_t kDefaultPort = 29500;
  uint16_t port = kDefaultPort;
  bool isServer = false;
  std::optional<std::size_t> numWorkers = std::nullopt;
  bool waitWorkers = true;
  std::chrono::milliseconds timeout = Store::kDefaultTimeout;
  bool multiTenant = false;
  std::optional<int> masterListenFd = std::nullopt;
  bool useLibUV = true;
};

class TCPStore : public Store {
 public:
  explicit TCPStore(std::string host, const TCPStoreOptions& opts = {});
  SELFSUP_STUB_STORE_OVERRIDES
};
}  // namespace c10d
