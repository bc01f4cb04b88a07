#include "tensor_data.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/ops/empty.h>
#include <c10/core/TensorOptions.h>

#include <algorithm>
#include <cstring>

#include "handle.h"

namespace selfsup {
namespace {

std::vector<int64_t> ShapeOf(const Napi::Value& v) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "Expected an array of integers for shape");
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> shape(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : -1;
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d)))
      throw Napi::TypeError::New(v.Env(), "Expected non-negative integers for shape but received " +
                                              e.ToString().Utf8Value() + " at index " + std::to_string(i));
    shape[i] = static_cast<int64_t>(d);
  }
  return shape;
}

// Copies JS memory into a new CPU tensor. NOTE: a copy, not a view: libtorch
// may free a tensor on another thread (autograd), where releasing a JS
// reference is not allowed.
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "Expected a TypedArray of data");
  Napi::TypedArray data = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = ShapeOf(info[1]);
  c10::ScalarType dtype;
  if (!info[2].IsString() || !ParseDtype(info[2].As<Napi::String>().Utf8Value(), &dtype))
    throw Napi::TypeError::New(env, "Expected a dtype name for the data but received " + info[2].ToString().Utf8Value());
  at::Tensor t = at::empty(shape, c10::TensorOptions().dtype(dtype));
  const size_t bytes = t.nbytes();
  if (data.ByteLength() != bytes) {
    throw Napi::RangeError::New(env, "Data holds " + std::to_string(data.ByteLength()) + " bytes but shape [" +
                                         c10::Join(", ", shape) + "] of " + DtypeName(dtype) + " needs " +
                                         std::to_string(bytes));
  }
  if (bytes != 0) {
    const uint8_t* src = static_cast<const uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
    std::memcpy(t.data_ptr(), src, bytes);
  }
  return WrapTensor(env, std::move(t));
}

// A contiguous CPU copy of `t`, detached from autograd.
at::Tensor HostContiguous(const at::Tensor& t) {
  at::Tensor d = t.detach();
  if (!d.is_cpu()) d = d.to(c10::kCPU);
  return d.contiguous();
}

Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = HostContiguous(TensorOf(info[0], "toBuffer"));
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, t.nbytes());
  if (t.nbytes() != 0) std::memcpy(buf.Data(), t.data_ptr(), t.nbytes());
  return buf;
}

// Shares the storage of a contiguous CPU tensor with JS: writes through the
// buffer change the tensor. The buffer keeps the storage alive.
Napi::Value ViewBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = TensorOf(info[0], "viewBuffer");
  if (!t.is_cpu() || !t.is_contiguous())
    throw Napi::Error::New(env, "asTypedArray() needs a contiguous CPU tensor; call .contiguous() or .cpu() first");
  if (t.nbytes() == 0) return Napi::ArrayBuffer::New(env, 0);
  auto* keep = new at::Tensor(t);
  return Napi::ArrayBuffer::New(env, keep->data_ptr(), keep->nbytes(),
                                [](Napi::Env, void*, at::Tensor* k) { delete k; }, keep);
}

class CopyOut : public Napi::AsyncWorker {
 public:
  CopyOut(Napi::Env env, at::Tensor t, Napi::ArrayBuffer buf)
      : Napi::AsyncWorker(env), tensor_(std::move(t)), deferred_(Napi::Promise::Deferred::New(env)),
        target_(static_cast<uint8_t*>(buf.Data())), bytes_(buf.ByteLength()) {
    buffer_ = Napi::Persistent(buf);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      at::Tensor host = HostContiguous(tensor_);
      tensor_.reset();
      if (bytes_ != 0) std::memcpy(target_, host.data_ptr(), bytes_);
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(buffer_.Value()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  at::Tensor tensor_;
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  uint8_t* target_;
  size_t bytes_;
};

// The copy (device to host included) runs on libuv's thread pool, so the
// event loop keeps turning while a GPU result comes back.
Napi::Value ToBufferAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = TensorOf(info[0], "toBufferAsync").detach();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, t.numel() * t.element_size());
  auto* worker = new CopyOut(env, std::move(t), buf);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  TensorBox* box = BoxOf(info[0]);
  if (box != nullptr) DisposeBox(info.Env(), box);
  return info.Env().Undefined();
}

// Calls `fn` on the box of each live tensor handle in a Float64Array (the
// first `count` of them, info[1]; all when absent): one N-API call for a
// whole batch of handles.
template <typename Fn>
void ForEachHandle(const Napi::CallbackInfo& info, Fn fn) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, "Expected a Float64Array of tensor handles");
  Napi::Float64Array handles = info[0].As<Napi::Float64Array>();
  size_t count = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : handles.ElementLength();
  count = std::min(count, handles.ElementLength());
  for (size_t i = 0; i < count; ++i) {
    TensorBox* box = BoxOfHandle(handles[i]);
    if (box != nullptr) fn(env, box);
  }
}

// Disposes the tensor handles (a whole scope in one call).
Napi::Value DisposeAll(const Napi::CallbackInfo& info) {
  ForEachHandle(info, [](Napi::Env env, TensorBox* box) { DisposeBox(env, box); });
  return info.Env().Undefined();
}

// Reports the CPU bytes of the tensor handles to V8: the tensors the garbage
// collector now has to free.
Napi::Value WatchBytesJs(const Napi::CallbackInfo& info) {
  ForEachHandle(info, [](Napi::Env env, TensorBox* box) { WatchBytes(env, box); });
  return info.Env().Undefined();
}

Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  TensorBox* box = BoxOf(info[0]);
  return Napi::Boolean::New(info.Env(), box == nullptr || box->disposed);
}

Napi::Array IntArray(Napi::Env env, c10::IntArrayRef values) {
  Napi::Array arr = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) arr.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  return arr;
}

Napi::Value Shape(const Napi::CallbackInfo& info) { return IntArray(info.Env(), TensorOf(info[0], "shape").sizes()); }
Napi::Value Strides(const Napi::CallbackInfo& info) {
  return IntArray(info.Env(), TensorOf(info[0], "strides").strides());
}
Napi::Value Dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(TensorOf(info[0], "dtype").scalar_type()));
}
Napi::Value Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DeviceName(TensorOf(info[0], "device").device()));
}
Napi::Value Numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(TensorOf(info[0], "numel").numel()));
}
Napi::Value Dim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(TensorOf(info[0], "dim").dim()));
}
Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), TensorOf(info[0], "isContiguous").is_contiguous());
}

}  // namespace

void InitTensorData(Napi::Env env, Napi::Object exports) {
  Export<FromBuffer>(env, exports, "fromBuffer");
  Export<ToBuffer>(env, exports, "toBuffer");
  Export<ToBufferAsync>(env, exports, "toBufferAsync");
  Export<ViewBuffer>(env, exports, "viewBuffer");
  Export<Dispose>(env, exports, "dispose");
  Export<DisposeAll>(env, exports, "disposeAll");
  Export<WatchBytesJs>(env, exports, "watchBytes");
  Export<IsDisposed>(env, exports, "isDisposed");
  Export<Shape>(env, exports, "shape");
  Export<Strides>(env, exports, "strides");
  Export<Dtype>(env, exports, "dtype");
  Export<Device>(env, exports, "device");
  Export<Numel>(env, exports, "numel");
  Export<Dim>(env, exports, "dim");
  Export<IsContiguous>(env, exports, "isContiguous");
}

}  // namespace selfsup
