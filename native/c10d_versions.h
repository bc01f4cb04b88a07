// What differs between libtorch 1.13's c10d and 2.x's, in one place, so that
// distributed.cc and distributed_autograd.cc are written once:
//  - 1.13: ProcessGroupGloo/ProcessGroupNCCL are ProcessGroups.
//  - 2.x: they are Backends; a ProcessGroup wraps one per device type
//    (setBackend), and its constructor lost its Options argument (2.6 or so).
//  - The DDP Reducer's constructor: 1.13 to 2.6 take the per-bucket size
//    limits; later versions drop them and add skip_all_reduce_unused_params and
//    use_python_reducer, and the newest a per-bucket cap list.
//  - TCPStore: 2.4 on serve with libuv by default (TCPStoreOptions::useLibUV)
//    and refuse it where the build has no libuv (Debian 13's libtorch 2.6).
// The variants are told apart at compile time (`if constexpr` on which
// constructor exists), so one source builds against each. CI compiles and tests
// 1.13 (Debian 12) and 2.6 with Gloo (Debian 13 in a chroot,
// scripts/chroot/check.sh), and parses the 2.x branches, NCCL included,
// against declarations of the newer constructors (scripts/cuda/check-syntax.js,
// scripts/cuda/stub-c10d2); the GPU script's build compiles them against
// PyTorch's CUDA wheel. docs/distributed.md, "libtorch 2.x and NCCL".
#pragma once

#include "distributed.h"

#ifdef SELFSUP_WITH_C10D
#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace selfsup {

#if TORCH_VERSION_MAJOR >= 2
// A communication backend (Gloo, NCCL) of a ProcessGroup.
using C10dBackend = c10d::Backend;
#else
using C10dBackend = c10d::ProcessGroup;
#endif

#if TORCH_VERSION_MAJOR >= 2
// 2.x: ProcessGroup::setDefaultBackend where it exists (the Options-less
// constructor needs it; the older one takes the name from its Options).
template <typename PG>
auto SetDefaultBackend(PG& pg, typename PG::BackendType type, int) -> decltype(pg.setDefaultBackend(type), void()) {
  pg.setDefaultBackend(type);
}
template <typename PG>
void SetDefaultBackend(PG&, typename PG::BackendType, long) {}
#endif

// The ProcessGroup of a backend, as torch.distributed's _new_process_group_helper
// makes it: 1.13, the backend itself; 2.x, a ProcessGroup on `store` (the
// group's prefix store) with the backend registered for its device types
// (Gloo: CPU and CUDA, as BackendConfig("gloo"); NCCL: CUDA).
template <typename PG = c10d::ProcessGroup>
c10::intrusive_ptr<c10d::ProcessGroup> GroupOfBackend(const c10::intrusive_ptr<C10dBackend>& backend,
                                                      const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                      int size, const std::string& name,
                                                      std::chrono::milliseconds timeout) {
#if TORCH_VERSION_MAJOR >= 2
  c10::intrusive_ptr<PG> pg;
  if constexpr (std::is_constructible_v<PG, c10::intrusive_ptr<c10d::Store>, int, int>) {
    pg = c10::make_intrusive<PG>(store, rank, size);
  } else {
    pg = c10::make_intrusive<PG>(store, rank, size, c10::make_intrusive<typename PG::Options>(name, timeout));
  }
  const auto type = name == "nccl" ? PG::BackendType::NCCL : PG::BackendType::GLOO;
  SetDefaultBackend(*pg, type, 0);
  if (name != "nccl") pg->setBackend(c10::DeviceType::CPU, type, backend);
  pg->setBackend(c10::DeviceType::CUDA, type, backend);
  return pg;
#else
  (void)store, (void)rank, (void)size, (void)name, (void)timeout;
  return backend;
#endif
}

template <typename O, typename = void>
struct HasUseLibUV : std::false_type {};
template <typename O>
struct HasUseLibUV<O, std::void_t<decltype(std::declval<O&>().useLibUV)>> : std::true_type {};

// The TCPStore of a rendezvous. useLibuv as Python's use_libuv query / USE_LIBUV:
// 1 or 0 when the user said (1 on a build without libuv fails with c10d's
// message, as in Python), -1 when not: libuv where the build has it (PyTorch's
// default), else the classic server, which speaks the same protocol to the
// clients (Python's own rendezvous refuses here instead, until USE_LIBUV=0).
// 1.13 has only the classic server and ignores the setting, as its Python does.
template <typename O = c10d::TCPStoreOptions>
c10::intrusive_ptr<c10d::Store> NewTcpStore(const std::string& host, O opts, int useLibuv) {
  if constexpr (HasUseLibUV<O>::value) {
    opts.useLibUV = useLibuv != 0;
    try {
      return c10::make_intrusive<c10d::TCPStore>(host, opts);
    } catch (const c10::Error& e) {
      const bool noLibuv = std::string(e.what()).find("without libuv support") != std::string::npos;
      if (useLibuv != -1 || !noLibuv) throw;
    }
    opts.useLibUV = false;
  } else {
    (void)useLibuv;
  }
  return c10::make_intrusive<c10d::TCPStore>(host, opts);
}

// What DistributedDataParallel gives c10d's Reducer (distributed_autograd.cc).
struct ReducerArgs {
  std::vector<at::Tensor> params;
  std::vector<std::vector<size_t>> bucketIndices;
  std::vector<size_t> bucketSizeLimits;  // dropped by the constructors after 2.6
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::vector<bool> expectSparse;
  int64_t bucketBytes = 0;
  bool findUnused = false;
  bool gradientAsBucketView = false;
  int64_t firstBucketBytes = 0;
};

// A Reducer through whichever constructor this libtorch has (above); the
// added options take DDP's defaults (no skipping of unused parameters' all-reduce,
// the C++ reducer, no per-bucket cap list).
template <typename R = c10d::Reducer>
std::unique_ptr<R> NewReducer(const ReducerArgs& a) {
  using Tensors = std::vector<at::Tensor>;
  using Indices = std::vector<std::vector<size_t>>;
  using Group = c10::intrusive_ptr<c10d::ProcessGroup>;
  using Names = std::unordered_map<size_t, std::string>;
  if constexpr (std::is_constructible_v<R, Tensors, Indices, std::vector<size_t>, Group, std::vector<bool>, int64_t,
                                        bool, bool, Names, int64_t>) {
    return std::make_unique<R>(a.params, a.bucketIndices, a.bucketSizeLimits, a.group, a.expectSparse, a.bucketBytes,
                               a.findUnused, a.gradientAsBucketView, Names{}, a.firstBucketBytes);
  } else if constexpr (std::is_constructible_v<R, Tensors, Indices, Group, std::vector<bool>, int64_t, bool, bool,
                                               Names, int64_t, bool, bool>) {
    return std::make_unique<R>(a.params, a.bucketIndices, a.group, a.expectSparse, a.bucketBytes, a.findUnused,
                               a.gradientAsBucketView, Names{}, a.firstBucketBytes, false, false);
  } else {
    return std::make_unique<R>(a.params, a.bucketIndices, a.group, a.expectSparse, a.bucketBytes, a.findUnused,
                               a.gradientAsBucketView, Names{}, a.firstBucketBytes, false, false,
                               std::vector<int64_t>{});
  }
}

}  // namespace selfsup

#endif  // SELFSUP_WITH_C10D
