#include "handle.h"

#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace selfsup {

MemoryCounters& Counters() {
  static MemoryCounters counters;
  return counters;
}

namespace {

// Only tensors that own a fresh CPU storage are reported, so a view does not
// count its base's bytes twice. This is an estimate for GC pressure, not an
// allocator statistic.
int64_t BytesToReport(const at::Tensor& t) {
  if (!t.defined() || !t.is_cpu() || !t.has_storage()) return 0;
  const c10::Storage& storage = t.storage();
  if (storage.use_count() != 1) return 0;
  return static_cast<int64_t>(storage.nbytes());
}

// The slot table: fixed-size chunks, so a slot never moves and indexing is
// a shift and a mask. Only the JS thread touches it.
constexpr uint32_t kChunkBits = 12;
constexpr uint32_t kChunkSize = uint32_t(1) << kChunkBits;

struct Table {
  std::vector<std::unique_ptr<TensorBox[]>> chunks;
  uint32_t size = 0;
  std::vector<uint32_t> free;

  TensorBox& operator[](uint32_t index) { return chunks[index >> kChunkBits][index & (kChunkSize - 1)]; }

  uint32_t Grow() {
    if ((size & (kChunkSize - 1)) == 0) chunks.emplace_back(new TensorBox[kChunkSize]);
    (*this)[size].index = size;
    return size++;
  }
};

Table& Slots() {
  static Table* table = new Table();
  return *table;
}

constexpr int64_t kHandleBase = int64_t(1) << 40;
constexpr uint32_t kIndexBits = 26;
constexpr uint32_t kIndexLimit = uint32_t(1) << kIndexBits;
constexpr uint32_t kGenerationMask = (uint32_t(1) << 26) - 1;

double Encode(uint32_t index, uint32_t generation) {
  const int64_t k = kHandleBase + (static_cast<int64_t>(generation & kGenerationMask) << kIndexBits) + index;
  return -static_cast<double>(k);
}

TensorBox& StaleBox() {
  static auto& stale = *new TensorBox();
  return stale;
}

// V8 is told about CPU bytes in batches: a call per tensor would cost more
// than a small operator's kernel.
//
// NOTE: only the bytes of tensors the garbage collector must free are told
// (WatchBytes), not those of every new tensor. A scope frees its tensors
// itself, so telling V8 about them only made it collect garbage for nothing:
// a ResNet-18 step at small scale makes about 350 MB of tensors, and with
// each of them reported V8 started a full mark-compact in every step
// ("external memory pressure" in --trace-incremental-marking), 15-25 ms of
// CPU in a 300 ms step with a 6 MB heap and more with a larger one.
int64_t pendingBytes = 0;

void ReportBytes(napi_env env, int64_t delta) {
  pendingBytes += delta;
  if (pendingBytes > (int64_t(1) << 20) || pendingBytes < -(int64_t(1) << 20)) {
    int64_t ignored;
    napi_adjust_external_memory(env, pendingBytes, &ignored);
    pendingBytes = 0;
  }
}

}  // namespace

Napi::Value WrapTensor(Napi::Env env, at::Tensor tensor) {
  Table& table = Slots();
  uint32_t index;
  if (!table.free.empty()) {
    index = table.free.back();
    table.free.pop_back();
  } else {
    if (table.size >= kIndexLimit) throw Napi::Error::New(env, "Too many live tensors (2^26): dispose some");
    index = table.Grow();
  }
  TensorBox& box = table[index];
  box.reportedBytes = BytesToReport(tensor);
  box.tensor = std::move(tensor);
  box.disposed = false;
  MemoryCounters& c = Counters();
  c.liveTensors += 1;
  if (c.liveTensors > c.peakTensors) c.peakTensors = c.liveTensors;
  c.reportedBytes += box.reportedBytes;
  box.gcBytes = 0;
  napi_value result;
  NAPI_THROW_IF_FAILED(env, napi_create_double(env, Encode(index, box.generation), &result), Napi::Value());
  return Napi::Value(env, result);
}

void DisposeBox(Napi::Env env, TensorBox* box) {
  if (box->disposed) return;
  box->disposed = true;
  box->tensor.reset();
  box->generation = (box->generation + 1) & kGenerationMask;
  MemoryCounters& c = Counters();
  c.liveTensors -= 1;
  c.reportedBytes -= box->reportedBytes;
  box->reportedBytes = 0;
  if (box->gcBytes != 0) {
    ReportBytes(env, -box->gcBytes);
    box->gcBytes = 0;
  }
  Slots().free.push_back(box->index);
}

void WatchBytes(Napi::Env env, TensorBox* box) {
  if (box->disposed || box->gcBytes != 0 || box->reportedBytes == 0) return;
  box->gcBytes = box->reportedBytes;
  ReportBytes(env, box->gcBytes);
}

TensorBox* BoxOfHandle(double d) {
  if (!(d <= -static_cast<double>(kHandleBase)) || d < -9007199254740992.0) return nullptr;
  const double magnitude = -d;
  const int64_t k = static_cast<int64_t>(magnitude);
  if (static_cast<double>(k) != magnitude) return nullptr;
  const int64_t rest = k - kHandleBase;
  const uint32_t index = static_cast<uint32_t>(rest & (kIndexLimit - 1));
  const uint32_t generation = static_cast<uint32_t>(rest >> kIndexBits);
  Table& table = Slots();
  if (index >= table.size || generation > kGenerationMask) return nullptr;
  TensorBox& box = table[index];
  if (box.generation != generation || box.disposed) return &StaleBox();
  return &box;
}

TensorBox* BoxOfNumber(napi_env env, napi_value value) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) return nullptr;
  return BoxOfHandle(d);
}

TensorBox* BoxOf(const Napi::Value& value) {
  napi_env env = value.Env();
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return nullptr;
  napi_value raw = value;
  if (type == napi_object) {
    if (napi_get_named_property(env, value, "_h", &raw) != napi_ok) return nullptr;
    if (napi_typeof(env, raw, &type) != napi_ok) return nullptr;
  }
  if (type != napi_number) return nullptr;
  return BoxOfNumber(env, raw);
}

const at::Tensor& TensorOf(const Napi::Value& value, const char* what) {
  TensorBox* box = BoxOf(value);
  if (box == nullptr) {
    throw Napi::TypeError::New(value.Env(), std::string("Expected a Tensor for ") + what);
  }
  if (box->disposed) {
    throw Napi::Error::New(value.Env(), std::string("Tensor was disposed and cannot be used (") + what + ")");
  }
  return box->tensor;
}

namespace {
const std::unordered_map<std::string, c10::ScalarType>& DtypeTable() {
  static const std::unordered_map<std::string, c10::ScalarType> table = {
      {"float32", c10::kFloat},   {"float", c10::kFloat},      {"float64", c10::kDouble},
      {"double", c10::kDouble},   {"float16", c10::kHalf},     {"half", c10::kHalf},
      {"bfloat16", c10::kBFloat16}, {"int64", c10::kLong},     {"long", c10::kLong},
      {"int32", c10::kInt},       {"int", c10::kInt},          {"int16", c10::kShort},
      {"short", c10::kShort},     {"int8", c10::kChar},        {"uint8", c10::kByte},
      {"bool", c10::kBool},       {"complex64", c10::kComplexFloat},
      {"complex128", c10::kComplexDouble},
  };
  return table;
}
}  // namespace

bool ParseDtype(const std::string& name, c10::ScalarType* out) {
  auto it = DtypeTable().find(name);
  if (it == DtypeTable().end()) return false;
  *out = it->second;
  return true;
}

std::string DtypeName(c10::ScalarType type) {
  switch (type) {
    case c10::kFloat: return "float32";
    case c10::kDouble: return "float64";
    case c10::kHalf: return "float16";
    case c10::kBFloat16: return "bfloat16";
    case c10::kLong: return "int64";
    case c10::kInt: return "int32";
    case c10::kShort: return "int16";
    case c10::kChar: return "int8";
    case c10::kByte: return "uint8";
    case c10::kBool: return "bool";
    case c10::kComplexFloat: return "complex64";
    case c10::kComplexDouble: return "complex128";
    default: return c10::toString(type);
  }
}

bool ParseDevice(const std::string& name, c10::Device* out, std::string* error) {
  try {
    *out = c10::Device(name);
    return true;
  } catch (const c10::Error& e) {
    *error = e.what_without_backtrace();
    return false;
  }
}

std::string DeviceName(const c10::Device& device) {
  std::string s = c10::DeviceTypeName(device.type(), /*lower_case=*/true);
  if (device.has_index()) s += ":" + std::to_string(device.index());
  return s;
}

void Fail(Napi::Env env, const std::string& message) { throw Napi::Error::New(env, message); }

}  // namespace selfsup
