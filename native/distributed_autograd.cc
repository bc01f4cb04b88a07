// The distributed pieces that live inside autograd: an all-gather whose
// backward reduces the gradients across ranks, and c10d's DDP Reducer (the
// engine behind torch.nn.parallel.DistributedDataParallel).
#include "distributed.h"

#ifdef SELFSUP_WITH_C10D
#include "c10d_versions.h"
#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#endif

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "handle.h"

namespace selfsup {
#ifdef SELFSUP_WITH_C10D
namespace {

using torch::autograd::variable_list;

// How a Node is freed where autograd holds Nodes by std::shared_ptr (1.13,
// 2.6): libtorch's torch::autograd::deleteNode (it frees a long chain of nodes
// without deep recursion), which the unqualified call in NewNode finds by
// argument-dependent lookup and prefers to this template; the template is the
// plain delete left for a libtorch without it.
template <typename N>
void deleteNode(N* node) {
  delete node;
}

// A new Node in the pointer type this libtorch's autograd holds Nodes by:
// std::shared_ptr with deleteNode, or c10::intrusive_ptr (libtorch 2.14, where
// Node is an intrusive_ptr_target and set_history takes one).
template <typename N>
auto NewNode() {
  if constexpr (std::is_base_of_v<c10::intrusive_ptr_target, N>) {
    return c10::make_intrusive<N>();
  } else {
    return std::shared_ptr<N>(new N(), [](N* n) { deleteNode(static_cast<torch::autograd::Node*>(n)); });
  }
}

// Backward of an all-gather along dim 0: every rank's output depends on this
// rank's input, so its gradient is the sum over ranks of their gradients for
// this rank's rows (an all-reduce of the whole gradient, then this rank's
// slice), as the GatherLayer of SimCLR's and MoCo v3's code.
struct AllGatherBackward : public torch::autograd::Node {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  int64_t rank = 0, rows = 0;
  std::vector<int64_t> outShape;
  at::TensorOptions options;

  variable_list apply(variable_list&& grads) override {
    // An unused output still takes part: the other ranks wait for this one.
    at::Tensor g = grads[0].defined() ? grads[0].contiguous().clone() : at::zeros(outShape, options);
    std::vector<at::Tensor> ts = {g};
    pg->allreduce(ts)->wait();
    return {g.narrow(0, rank * rows, rows)};
  }
  std::string name() const override { return "AllGatherBackward"; }
};

// distAllGatherWithGrad(group, tensor) -> cat of every rank's tensor along
// dim 0 (blocking; the same shape on every rank).
Napi::Value DistAllGatherWithGrad(const Napi::CallbackInfo& info) {
  auto pg = GroupOf(info[0], "allGather");
  at::Tensor x = TensorOf(info[1], "allGather's tensor");
  TORCH_CHECK(x.dim() >= 1, "allGather with gradient needs a tensor with at least one dimension");
  at::Tensor out;
  {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> inputs = {x.detach().contiguous()};
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int r = 0; r < pg->getSize(); r++) outputs[0].push_back(at::empty_like(inputs[0]));
    pg->allgather(outputs, inputs)->wait();
    out = at::cat(outputs[0], 0);
  }
  if (x.requires_grad() && at::GradMode::is_enabled()) {
    auto node = NewNode<AllGatherBackward>();
    node->pg = pg;
    node->rank = pg->getRank();
    node->rows = x.size(0);
    node->outShape = out.sizes().vec();
    node->options = out.options();
    node->set_next_edges(torch::autograd::collect_next_edges(x));
    torch::autograd::set_history(out, node);
  }
  return WrapTensor(info.Env(), out);
}

const napi_type_tag kReducerTag = {0x7e50a0d1ddb0c4e7ULL, 0x1f2e3d4c5b6a7988ULL};

struct ReducerBox {
  std::unique_ptr<c10d::Reducer> reducer;
};

c10d::Reducer* ReducerOf(const Napi::Value& v) {
  bool tagged = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kReducerTag, &tagged);
  if (!tagged) throw Napi::TypeError::New(v.Env(), "Expected a DDP reducer handle");
  auto* box = v.As<Napi::External<ReducerBox>>().Data();
  if (!box->reducer) throw Napi::Error::New(v.Env(), "the DDP reducer was destroyed");
  return box->reducer.get();
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("Expected a number for ") + what);
  return info[i].As<Napi::Number>().Int64Value();
}

// distReducerCreate(group, params, bucketBytes, firstBucketBytes,
// findUnusedParameters, gradientAsBucketView). As PyTorch's DDP: one bucket
// for the first iteration (buckets are rebuilt in the order gradients became
// ready, with the 1 MiB first bucket and `bucketBytes` after), buckets in
// reverse parameter order.
Napi::Value DistReducerCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto pg = GroupOf(info[0], "DistributedDataParallel");
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, "Expected an array of parameters");
  auto arr = info[1].As<Napi::Array>();
  std::vector<at::Tensor> params;
  for (uint32_t i = 0; i < arr.Length(); i++) params.push_back(TensorOf(arr.Get(i), "a parameter"));
  TORCH_CHECK(!params.empty(), "DistributedDataParallel needs at least one parameter that requires grad");
  int64_t bucketBytes = IntArg(info, 2, "bucketCapMb");
  int64_t firstBucketBytes = IntArg(info, 3, "firstBucketBytes");
  bool findUnused = info[4].ToBoolean();
  bool asView = info[5].ToBoolean();
  ReducerArgs args;
  args.expectSparse.assign(params.size(), false);
  std::vector<size_t> limits = {findUnused ? static_cast<size_t>(firstBucketBytes) : SIZE_MAX};
  if (findUnused) limits.push_back(static_cast<size_t>(bucketBytes));
  auto assigned = c10d::compute_bucket_assignment_by_size(params, limits, args.expectSparse);
  args.bucketIndices = std::get<0>(assigned);
  args.bucketSizeLimits = std::get<1>(assigned);
  std::reverse(args.bucketIndices.begin(), args.bucketIndices.end());
  std::reverse(args.bucketSizeLimits.begin(), args.bucketSizeLimits.end());
  args.params = std::move(params);
  args.group = pg;
  args.bucketBytes = bucketBytes;
  args.findUnused = findUnused;
  args.gradientAsBucketView = asView;
  args.firstBucketBytes = firstBucketBytes;
  auto reducer = NewReducer(args);  // before the box: a throwing constructor leaks nothing
  auto* box = new ReducerBox{std::move(reducer)};
  auto ext = Napi::External<ReducerBox>::New(env, box, [](Napi::Env, ReducerBox* b) { delete b; });
  napi_type_tag_object(env, ext, &kReducerTag);
  return ext;
}

Napi::Value DistReducerPrepareForward(const Napi::CallbackInfo& info) {
  c10d::Reducer* r = ReducerOf(info[0]);
  r->prepare_for_forward();
  return Napi::Boolean::New(info.Env(), r->rebuild_buckets());
}

Napi::Value DistReducerPrepareForBackward(const Napi::CallbackInfo& info) {
  c10d::Reducer* r = ReducerOf(info[0]);
  std::vector<at::Tensor> outputs;
  if (info[1].IsArray()) {
    auto arr = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) outputs.push_back(TensorOf(arr.Get(i), "an output"));
  }
  r->prepare_for_backward(outputs);
  return info.Env().Undefined();
}

Napi::Value DistReducerDestroy(const Napi::CallbackInfo& info) {
  bool tagged = false;
  if (info[0].IsExternal()) napi_check_object_type_tag(info.Env(), info[0], &kReducerTag, &tagged);
  if (!tagged) throw Napi::TypeError::New(info.Env(), "Expected a DDP reducer handle");
  info[0].As<Napi::External<ReducerBox>>().Data()->reducer.reset();
  return info.Env().Undefined();
}

}  // namespace

#endif  // SELFSUP_WITH_C10D

void InitDistributedAutograd(Napi::Env env, Napi::Object exports) {
  SELFSUP_EXPORT_DIST(DistAllGatherWithGrad, "distAllGatherWithGrad")
  SELFSUP_EXPORT_DIST(DistReducerCreate, "distReducerCreate")
  SELFSUP_EXPORT_DIST(DistReducerPrepareForward, "distReducerPrepareForward")
  SELFSUP_EXPORT_DIST(DistReducerPrepareForBackward, "distReducerPrepareForBackward")
  SELFSUP_EXPORT_DIST(DistReducerDestroy, "distReducerDestroy")
}

}  // namespace selfsup
