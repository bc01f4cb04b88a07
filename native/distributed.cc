#include "distributed.h"

#ifdef SELFSUP_WITH_C10D
#include "c10d_versions.h"
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>

// Gloo's headers come from Debian's libgloo-dev (the package libtorch-dev's
// libgloo0 belongs to); without them the addon still builds, and initProcessGroup
// says that the gloo backend is missing.
// ProcessGroupGloo.hpp is empty unless USE_C10D_GLOO is defined (libtorch's CMake targets and
// find-libtorch.js --defines give it).
#if defined(USE_C10D_GLOO) && __has_include(<gloo/algorithm.h>)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define SELFSUP_WITH_GLOO 1
#endif
// NCCL: CUDA builds whose CMake found nccl.h define USE_C10D_NCCL (as PyTorch's
// own build does); ProcessGroupNCCL.hpp is empty without it. SELFSUP_C10D_NO_NCCL
// (-DSELFSUP_C10D=no-nccl) is the GPU script's first fallback.
#if defined(SELFSUP_WITH_CUDA) && defined(USE_C10D_NCCL) && !defined(SELFSUP_C10D_NO_NCCL) && \
    __has_include(<nccl.h>)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define SELFSUP_WITH_NCCL 1
#endif
#endif  // SELFSUP_WITH_C10D

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <chrono>
#include <functional>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "handle.h"

namespace selfsup {
#ifdef SELFSUP_WITH_C10D
namespace {

using Ms = std::chrono::milliseconds;

// Tags group handles (N-API type tags), so another External is rejected.
const napi_type_tag kGroupTag = {0x7e50a0d15d157e11ULL, 0x9a0c2b1d3e4f5061ULL};

struct GroupBox {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;  // null once destroyed
  std::string backend;
  int rank = 0;
  int size = 1;
};

struct InitOptions {
  std::string backend, store, host, path;
  int port = 0, rank = 0, size = 1;
  bool isServer = false;
  int useLibuv = -1;  // TCPStore's libuv server: 1 asked for, 0 refused, -1 not said (NewTcpStore)
  Ms timeout{1800000};
};

std::string StringField(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  RethrowPending(o.Env());
  if (v.IsUndefined()) return "";
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("Expected a string for ") + key);
  return v.As<Napi::String>().Utf8Value();
}

int64_t IntField(const Napi::Object& o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  RethrowPending(o.Env());
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("Expected a number for ") + key);
  return v.As<Napi::Number>().Int64Value();
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("Expected a number for ") + what);
  return info[i].As<Napi::Number>().Int64Value();
}

std::vector<at::Tensor> TensorList(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string("Expected an array of tensors for ") + what);
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    at::Tensor t = TensorOf(arr.Get(i), what);
    TORCH_CHECK(t.is_contiguous(), what, "[", i, "] must be contiguous (call .contiguous() first)");
    out.push_back(t);
  }
  return out;
}

// c10d's rendezvous, as torch.distributed.init_process_group does it, so that
// Node and Python ranks can share one group: the store (TCPStore hosted by
// rank 0 with multi-tenancy, or FileStore), PrefixStore("default_pg"), then
// PrefixStore("0") for the default group, the backend, a store-based barrier
// on "store_based_barrier_key:1", and the group's sequence number.
c10::intrusive_ptr<c10d::Store> MakeStore(const InitOptions& o) {
  if (o.store == "file") {
    auto s = c10::make_intrusive<c10d::FileStore>(o.path, o.size);
    s->setTimeout(o.timeout);
    return s;
  }
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<uint16_t>(o.port);
  opts.isServer = o.isServer;
  opts.numWorkers = static_cast<size_t>(o.size);
  opts.waitWorkers = true;
  opts.timeout = o.timeout;
  opts.multiTenant = true;
  return NewTcpStore(o.host, opts, o.useLibuv);
}

#ifdef SELFSUP_WITH_GLOO
// Devices as the Python binding picks them: one per interface named in
// GLOO_SOCKET_IFNAME (comma-separated), else the one for this host's name.
c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> GlooOptions(Ms timeout) {
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname && *ifname) {
    std::stringstream names(ifname);
    std::string name;
    while (std::getline(names, name, ','))
      if (!name.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
  } else {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  opts->threads = static_cast<int>(opts->devices.size()) * 2;
  return opts;
}
#endif

c10::intrusive_ptr<C10dBackend> MakeBackend(const InitOptions& o, const c10::intrusive_ptr<c10d::Store>& store) {
  if (o.backend == "gloo") {
#ifdef SELFSUP_WITH_GLOO
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.size, GlooOptions(o.timeout));
#else
    TORCH_CHECK(false, "this addon was built without Gloo's headers (Debian: apt-get install libgloo-dev, then "
                       "npm run build:native)");
#endif
  }
  if (o.backend == "nccl") {
#ifdef SELFSUP_WITH_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = o.timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.size, opts);
#else
    TORCH_CHECK(false, "this addon was built without NCCL (it needs a CUDA libtorch with c10d's NCCL and nccl.h)");
#endif
  }
  TORCH_CHECK(false, "Expected backend 'gloo' or 'nccl' but received '", o.backend, "'");
}

// The store-based barrier at the end of init_process_group. 1.13 always
// makes it (key "store_based_barrier_key:1": the group count); 2.x only with
// TORCH_DIST_INIT_BARRIER=1 (the backends' own rendezvous already waits for
// every rank), keyed by the group name "0", where the last rank to arrive
// also sets "<key>:last_worker", which 2.x's Python ranks wait for.
void StoreBarrier(const c10::intrusive_ptr<c10d::Store>& store, const InitOptions& o) {
#if TORCH_VERSION_MAJOR >= 2
  const char* wanted = std::getenv("TORCH_DIST_INIT_BARRIER");
  if (!wanted || std::string(wanted) != "1") return;
  const std::string key = "store_based_barrier_key:0";
  if (store->add(key, 1) == o.size) store->set(key + ":last_worker", std::vector<uint8_t>{'1'});
#else
  const std::string key = "store_based_barrier_key:1";
  store->add(key, 1);
#endif
  auto start = std::chrono::steady_clock::now();
  while (store->add(key, 0) != o.size) {
    TORCH_CHECK(std::chrono::steady_clock::now() - start < o.timeout,
                "timed out in the store-based barrier after init (rank ", o.rank, ", world size ", o.size, ")");
    std::this_thread::sleep_for(Ms(10));
  }
}

class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Napi::Env env, InitOptions opts)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), opts_(std::move(opts)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  // The prefixes are init_process_group's for the default group, so Python
  // ranks of the same libtorch version can join: 1.13, "default_pg" then the
  // group count "0"; 2.x, "default_pg", the group name "0/", then the device
  // of the backend ("cpu/" for Gloo, "cuda/" for NCCL) under the group's store.
  void Execute() override {
    try {
      auto store = MakeStore(opts_);
      auto pgStore = c10::make_intrusive<c10d::PrefixStore>("default_pg", store);
#if TORCH_VERSION_MAJOR >= 2
      c10::intrusive_ptr<c10d::Store> groupStore = c10::make_intrusive<c10d::PrefixStore>("0/", pgStore);
      auto backendStore = c10::make_intrusive<c10d::PrefixStore>(opts_.backend == "nccl" ? "cuda/" : "cpu/", groupStore);
      auto backend = MakeBackend(opts_, backendStore);
      backend->setSequenceNumberForGroup();
      pg_ = GroupOfBackend(backend, groupStore, opts_.rank, opts_.size, opts_.backend, opts_.timeout);
      StoreBarrier(pgStore, opts_);
#else
      auto groupStore = c10::make_intrusive<c10d::PrefixStore>("0", pgStore);
      pg_ = GroupOfBackend(MakeBackend(opts_, groupStore), groupStore, opts_.rank, opts_.size, opts_.backend,
                           opts_.timeout);
      StoreBarrier(pgStore, opts_);
      pg_->setSequenceNumberForGroup();
#endif
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto* box = new GroupBox{pg_, opts_.backend, opts_.rank, opts_.size};
    auto ext = Napi::External<GroupBox>::New(env, box, [](Napi::Env, GroupBox* b) { delete b; });
    napi_type_tag_object(env, ext, &kGroupTag);
    deferred_.Resolve(ext);
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(Napi::Error::New(Env(), "initProcessGroup: " + e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  InitOptions opts_;
  c10::intrusive_ptr<c10d::ProcessGroup> pg_;
};

GroupBox* BoxOfGroup(const Napi::Value& v, const char* what) {
  bool tagged = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kGroupTag, &tagged);
  if (!tagged) throw Napi::TypeError::New(v.Env(), std::string("Expected a process group handle for ") + what);
  return v.As<Napi::External<GroupBox>>().Data();
}

// distInit({ backend, store: 'tcp'|'file', host, port, isServer, path, rank, worldSize, timeoutMs })
Napi::Value DistInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "Expected an options object for distInit");
  auto o = info[0].As<Napi::Object>();
  InitOptions opts;
  opts.backend = StringField(o, "backend");
  opts.store = StringField(o, "store");
  opts.host = StringField(o, "host");
  opts.path = StringField(o, "path");
  opts.port = static_cast<int>(IntField(o, "port", 29500));
  opts.rank = static_cast<int>(IntField(o, "rank", 0));
  opts.size = static_cast<int>(IntField(o, "worldSize", 1));
  opts.isServer = IntField(o, "isServer", 0) != 0;
  opts.useLibuv = static_cast<int>(IntField(o, "useLibuv", -1));
  opts.timeout = Ms(IntField(o, "timeoutMs", 0));
  // No defaults here: the TypeScript layer passes every field, and an object
  // that lacks them must not start a 30-minute rendezvous with nobody.
  if (opts.store != "tcp" && opts.store != "file") {
    throw Napi::TypeError::New(env, "Expected store 'tcp' or 'file' for distInit");
  }
  if (opts.store == "tcp" && opts.host.empty()) throw Napi::TypeError::New(env, "Expected a host for distInit's tcp store");
  if (opts.store == "file" && opts.path.empty()) throw Napi::TypeError::New(env, "Expected a path for distInit's file store");
  if (opts.backend.empty()) throw Napi::TypeError::New(env, "Expected a backend for distInit");
  if (opts.size < 1 || opts.rank < 0 || opts.rank >= opts.size) {
    throw Napi::RangeError::New(env, "Expected 0 <= rank < worldSize for distInit");
  }
  if (opts.timeout.count() <= 0) throw Napi::RangeError::New(env, "Expected a positive timeoutMs for distInit");
  auto* worker = new InitWorker(env, std::move(opts));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

Napi::Value DistDestroy(const Napi::CallbackInfo& info) {
  BoxOfGroup(info[0], "destroyProcessGroup")->pg.reset();
  return info.Env().Undefined();
}

Napi::Value DistInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GroupBox* box = BoxOfGroup(info[0], "the group");
  auto out = Napi::Object::New(env);
  out.Set("backend", box->backend);
  out.Set("rank", box->rank);
  out.Set("worldSize", box->size);
  out.Set("destroyed", !box->pg);
  return out;
}

Napi::Value DistBackends(const Napi::CallbackInfo& info) {
  auto out = Napi::Array::New(info.Env());
  uint32_t n = 0;
#ifdef SELFSUP_WITH_GLOO
  out.Set(n++, "gloo");
#endif
#ifdef SELFSUP_WITH_NCCL
  out.Set(n++, "nccl");
#endif
  (void)n;
  return out;
}

// Waits for a c10d Work on a libuv worker thread and settles a Promise; Gloo
// runs the collective on its own threads, so the event loop stays free.
// `after` runs on the worker thread once the work completed (avg's division).
class WorkWaiter : public Napi::AsyncWorker {
 public:
  using Result = std::function<Napi::Value(Napi::Env)>;
  WorkWaiter(Napi::Env env, std::string what, c10::intrusive_ptr<c10d::ProcessGroup> pg,
             c10::intrusive_ptr<c10d::Work> work, Ms timeout, std::function<void()> after, Result result)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), what_(std::move(what)),
        pg_(std::move(pg)), work_(std::move(work)), timeout_(timeout), after_(std::move(after)),
        result_(std::move(result)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_->wait(timeout_);
      if (after_) after_();
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(result_ ? result_(Env()) : Env().Undefined()); }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(Napi::Error::New(Env(), what_ + ": " + e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string what_;
  c10::intrusive_ptr<c10d::ProcessGroup> pg_;  // outlives the work even if the group is destroyed meanwhile
  c10::intrusive_ptr<c10d::Work> work_;
  Ms timeout_;
  std::function<void()> after_;
  Result result_;
};

// NCCL's wait() only makes the current CUDA stream wait (no host block), as
// in PyTorch, so it is called here and the Promise settles at once; other
// backends are waited for on a worker thread.
Napi::Value Settle(Napi::Env env, const std::string& what, const GroupBox* box, c10::intrusive_ptr<c10d::Work> work,
                   Ms timeout, std::function<void()> after, WorkWaiter::Result result) {
  if (box->backend == "nccl") {
    auto deferred = Napi::Promise::Deferred::New(env);
    Guard(env, what.c_str(), [&]() {
      work->wait(timeout);
      if (after) after();
      return env.Undefined();
    });
    deferred.Resolve(result ? result(env) : env.Undefined());
    return deferred.Promise();
  }
  auto* waiter = new WorkWaiter(env, what, box->pg, std::move(work), timeout, std::move(after), std::move(result));
  Napi::Promise p = waiter->Promise();
  waiter->Queue();
  return p;
}

const GroupBox* LiveGroup(const Napi::Value& v, const char* what) {
  GroupBox* box = BoxOfGroup(v, what);
  if (!box->pg) throw Napi::Error::New(v.Env(), std::string(what) + ": the process group was destroyed");
  return box;
}

// distAllReduce(group, tensors, op, timeoutMs): in place. Gloo has no AVG:
// it sums and divides by the world size, as torch.distributed's docs suggest.
Napi::Value DistAllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const GroupBox* box = LiveGroup(info[0], "allReduce");
  auto tensors = TensorList(info[1], "allReduce's tensors");
  std::string op = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  Ms timeout(IntArg(info, 3, "timeoutMs"));
  c10d::AllreduceOptions opts;
  bool divide = false;
  if (op == "sum") opts.reduceOp = c10d::ReduceOp::SUM;
  else if (op == "product") opts.reduceOp = c10d::ReduceOp::PRODUCT;
  else if (op == "min") opts.reduceOp = c10d::ReduceOp::MIN;
  else if (op == "max") opts.reduceOp = c10d::ReduceOp::MAX;
  else if (op == "avg" && box->backend == "nccl") opts.reduceOp = c10d::ReduceOp::AVG;
  else if (op == "avg") opts.reduceOp = c10d::ReduceOp::SUM, divide = true;
  else throw Napi::TypeError::New(env, "Expected op 'sum', 'avg', 'product', 'min' or 'max' but received '" + op + "'");
  opts.timeout = timeout;
  auto work = box->pg->allreduce(tensors, opts);
  std::function<void()> after;
  int size = box->size;
  if (divide) {
    after = [tensors, size]() {
      at::NoGradGuard noGrad;
      for (const auto& t : tensors) const_cast<at::Tensor&>(t).div_(size);
    };
  }
  return Settle(env, "allReduce", box, std::move(work), timeout, std::move(after), nullptr);
}

// distBroadcast(group, tensors, root, timeoutMs): in place.
Napi::Value DistBroadcast(const Napi::CallbackInfo& info) {
  const GroupBox* box = LiveGroup(info[0], "broadcast");
  auto tensors = TensorList(info[1], "broadcast's tensors");
  c10d::BroadcastOptions opts;
  opts.rootRank = IntArg(info, 2, "src");
  opts.timeout = Ms(IntArg(info, 3, "timeoutMs"));
  auto work = box->pg->broadcast(tensors, opts);
  return Settle(info.Env(), "broadcast", box, std::move(work), opts.timeout, nullptr, nullptr);
}

// distAllGather(group, tensor, timeoutMs) -> Promise<tensor[]> (one per rank).
Napi::Value DistAllGather(const Napi::CallbackInfo& info) {
  const GroupBox* box = LiveGroup(info[0], "allGather");
  std::vector<at::Tensor> inputs = {TensorOf(info[1], "allGather's tensor").contiguous()};
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < box->size; r++) outputs[0].push_back(at::empty_like(inputs[0]));
  c10d::AllgatherOptions opts;
  opts.timeout = Ms(IntArg(info, 2, "timeoutMs"));
  auto work = box->pg->allgather(outputs, inputs, opts);
  auto result = [outputs](Napi::Env env) -> Napi::Value {
    auto arr = Napi::Array::New(env, outputs[0].size());
    for (size_t i = 0; i < outputs[0].size(); i++) arr.Set(static_cast<uint32_t>(i), WrapTensor(env, outputs[0][i]));
    return arr;
  };
  return Settle(info.Env(), "allGather", box, std::move(work), opts.timeout, nullptr, result);
}

Napi::Value DistBarrier(const Napi::CallbackInfo& info) {
  const GroupBox* box = LiveGroup(info[0], "barrier");
  c10d::BarrierOptions opts;
  opts.timeout = Ms(IntArg(info, 1, "timeoutMs"));
  auto work = box->pg->barrier(opts);
  return Settle(info.Env(), "barrier", box, std::move(work), opts.timeout, nullptr, nullptr);
}

// distBroadcastCoalesced(group, tensors, root, bufferBytes): blocking, as
// DDP's start-up broadcast of parameters and buffers in PyTorch.
Napi::Value DistBroadcastCoalesced(const Napi::CallbackInfo& info) {
  const GroupBox* box = LiveGroup(info[0], "broadcastCoalesced");
  auto tensors = TensorList(info[1], "the tensors to broadcast");
  int root = static_cast<int>(IntArg(info, 2, "src"));
  size_t bytes = static_cast<size_t>(IntArg(info, 3, "bufferBytes"));
  c10d::broadcast_coalesced(box->pg, tensors, bytes, root);
  return info.Env().Undefined();
}

}  // namespace

c10::intrusive_ptr<c10d::ProcessGroup> GroupOf(const Napi::Value& value, const char* what) {
  return LiveGroup(value, what)->pg;
}

#else  // !SELFSUP_WITH_C10D

Napi::Value DistUnsupported(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), "torch.distributed is not in this addon: it was built against libtorch " TORCH_VERSION
                                     " without c10d (SELFSUP_C10D=stubs, or a libtorch without c10d's headers; "
                                     "docs/distributed.md)");
}

#endif  // SELFSUP_WITH_C10D

void InitDistributed(Napi::Env env, Napi::Object exports) {
  SELFSUP_EXPORT_DIST(DistInit, "distInit")
  SELFSUP_EXPORT_DIST(DistDestroy, "distDestroy")
  SELFSUP_EXPORT_DIST(DistInfo, "distInfo")
  SELFSUP_EXPORT_DIST(DistBackends, "distBackends")
  SELFSUP_EXPORT_DIST(DistAllReduce, "distAllReduce")
  SELFSUP_EXPORT_DIST(DistBroadcast, "distBroadcast")
  SELFSUP_EXPORT_DIST(DistAllGather, "distAllGather")
  SELFSUP_EXPORT_DIST(DistBarrier, "distBarrier")
  SELFSUP_EXPORT_DIST(DistBroadcastCoalesced, "distBroadcastCoalesced")
}

}  // namespace selfsup
