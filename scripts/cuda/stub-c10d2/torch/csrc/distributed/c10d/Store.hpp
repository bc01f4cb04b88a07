// c10d::Store (2.x), declarations for the syntax check (README.md).
#pragma once
#include <ATen/core/ivalue.h>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace c10d {
class Store : public torch::CustomClassHolder {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout = std::chrono::seconds(300);
  ~Store() override;
  virtual void set(const std::string& key, const std::vector<uint8_t>& value) = 0;
  virtual std::vector<uint8_t> get(const std::string& key) = 0;
  virtual int64_t add(const std::string& key, int64_t value) = 0;
  virtual bool deleteKey(const std::string& key) = 0;
  virtual bool check(const std::vector<std::string>& keys) = 0;
  virtual int64_t getNumKeys() = 0;
  virtual void wait(const std::vector<std::string>& keys) = 0;
  virtual void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) = 0;
  virtual void setTimeout(const std::chrono::milliseconds& timeout);
};

// The overrides every concrete store declares.
#define SELFSUP_STUB_STORE_OVERRIDES                                                                       \
  void set(const std::string& key, const std::vector<uint8_t>& value) override;                            \
  std::vector<uint8_t> get(const std::string& key) override;                                               \
  int64_t add(const std::string& key, int64_t value) override;                                             \
  bool deleteKey(const std::string& key) override;                                                         \
  bool check(const std::vector<std::string>& keys) override;                                               \
  int64_t getNumKeys() override;                                                                           \
  void wait(const std::vector<std::string>& keys) override;                                                \
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;
}  // namespace c10d
