#include "convert.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "random.h"

namespace selfsup {

std::string Describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return std::string("boolean ") + (v.As<Napi::Boolean>().Value() ? "true" : "false");
    case napi_number: {
      std::ostringstream s;
      s << "number " << v.As<Napi::Number>().DoubleValue();
      return s.str();
    }
    case napi_string: {
      std::string s = v.As<Napi::String>().Utf8Value();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string '" + s + "'";
    }
    case napi_bigint: return "bigint";
    case napi_function: return "function";
    case napi_external: return "handle";
    case napi_object: {
      if (v.IsArray()) return "array";
      TensorBox* box = BoxOf(v);
      if (box != nullptr) return box->disposed ? "disposed Tensor" : "Tensor";
      return "object";
    }
    default: return "value";
  }
}

namespace {

// Short integer lists (shapes, dims, strides, paddings) are converted once
// and shared: building a c10::List costs two heap allocations, more than a
// small kernel. Operators never modify their int[] arguments.
struct IntListKey {
  uint32_t n;
  int64_t v[8];
  bool operator==(const IntListKey& o) const {
    return n == o.n && std::equal(v, v + n, o.v);
  }
};

struct IntListHash {
  size_t operator()(const IntListKey& k) const {
    uint64_t h = 1469598103934665603ull ^ k.n;
    for (uint32_t i = 0; i < k.n; ++i) h = (h ^ static_cast<uint64_t>(k.v[i])) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

// Reads an array of at most 8 integers into a shared IValue; false (and
// nothing changed) when the value is anything else, so the general path can
// convert it or report the error.
c10::IValue CachedIntList(const IntListKey& key) {
  // Leaked on purpose, like the other process-wide tables: destroying
  // IValues during exit could run after libtorch's own statics are gone.
  static auto& cache = *new std::unordered_map<IntListKey, c10::IValue, IntListHash>();
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 4096) cache.clear();
  c10::List<int64_t> list;
  list.reserve(key.n);
  for (uint32_t i = 0; i < key.n; ++i) list.push_back(key.v[i]);
  c10::IValue value(std::move(list));
  cache.emplace(key, value);
  return value;
}

bool SmallIntList(const Napi::Value& array, c10::IValue* out) {
  napi_env env = array.Env();
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok || n > 8) return false;
  IntListKey key{n, {}};
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    napi_valuetype t;
    double d;
    if (napi_get_element(env, array, i, &e) != napi_ok || napi_typeof(env, e, &t) != napi_ok || t != napi_number ||
        napi_get_value_double(env, e, &d) != napi_ok || std::trunc(d) != d || std::fabs(d) > 4.5e15)
      return false;
    key.v[i] = static_cast<int64_t>(d);
  }
  *out = CachedIntList(key);
  return true;
}

// Conversion failures are reported through `err` rather than thrown, so that
// overload resolution can try the next candidate cheaply.
struct Converter {
  Napi::Env env;
  const OpEntry& op;
  std::string* err;

  bool Mismatch(const ArgSpec& spec, const std::string& expected, const Napi::Value& v) {
    *err = "expected " + expected + " for argument '" + spec.name + "' (" + spec.typeName +
           ") but received " + Describe(v);
    return false;
  }

  bool TensorFrom(const ArgSpec& spec, const Napi::Value& v, at::Tensor* out) {
    TensorBox* box = BoxOf(v);
    if (box == nullptr) return Mismatch(spec, "Tensor", v);
    if (box->disposed) {
      *err = "argument '" + spec.name + "' is a disposed Tensor";
      return false;
    }
    *out = box->tensor;
    return true;
  }

  bool IntFrom(const ArgSpec& spec, const Napi::Value& v, int64_t* out) {
    if (v.IsNumber()) {
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::trunc(d) != d || !std::isfinite(d)) return Mismatch(spec, "an integer", v);
      *out = static_cast<int64_t>(d);
      return true;
    }
    if (v.IsBigInt()) {
      bool lossless = false;
      *out = v.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) return Mismatch(spec, "an integer that fits in int64", v);
      return true;
    }
    return Mismatch(spec, "an integer", v);
  }

  template <typename T, typename F>
  bool ListFrom(const ArgSpec& spec, const Napi::Value& v, const char* expected, c10::List<T>* out, F&& element) {
    if (!v.IsArray()) return Mismatch(spec, expected, v);
    Napi::Array arr = v.As<Napi::Array>();
    uint32_t n = arr.Length();
    out->reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      T value{};
      if (!element(arr.Get(i), &value)) {
        *err += " (at index " + std::to_string(i) + ")";
        return false;
      }
      out->push_back(std::move(value));
    }
    return true;
  }

  bool EnumFrom(const ArgSpec& spec, const Napi::Value& v, c10::IValue* out) {
    if (!v.IsString()) return Mismatch(spec, "a string", v);
    std::string s = v.As<Napi::String>().Utf8Value();
    switch (spec.kind) {
      case Kind::ScalarType: {
        c10::ScalarType t;
        if (!ParseDtype(s, &t)) return Mismatch(spec, "a dtype name such as 'float32'", v);
        *out = static_cast<int64_t>(t);
        return true;
      }
      case Kind::Layout:
        if (s == "strided") *out = static_cast<int64_t>(c10::kStrided);
        else if (s == "sparse_coo") *out = static_cast<int64_t>(c10::kSparse);
        else return Mismatch(spec, "'strided' or 'sparse_coo'", v);
        return true;
      case Kind::MemoryFormat:
        if (s == "contiguous_format") *out = static_cast<int64_t>(c10::MemoryFormat::Contiguous);
        else if (s == "channels_last") *out = static_cast<int64_t>(c10::MemoryFormat::ChannelsLast);
        else if (s == "channels_last_3d") *out = static_cast<int64_t>(c10::MemoryFormat::ChannelsLast3d);
        else if (s == "preserve_format") *out = static_cast<int64_t>(c10::MemoryFormat::Preserve);
        else return Mismatch(spec, "'contiguous_format', 'channels_last', 'channels_last_3d' or 'preserve_format'", v);
        return true;
      case Kind::Device: {
        c10::Device d(c10::kCPU);
        std::string why;
        if (!ParseDevice(s, &d, &why)) return Mismatch(spec, "a device such as 'cpu' or 'cuda:0'", v);
        *out = d;
        return true;
      }
      case Kind::Str:
        *out = s;
        return true;
      default:
        return false;
    }
  }

  bool Convert(const ArgSpec& spec, const Napi::Value& v, c10::IValue* out) {
    switch (spec.kind) {
      case Kind::Tensor: {
        at::Tensor t;
        if (!TensorFrom(spec, v, &t)) return false;
        *out = std::move(t);
        return true;
      }
      case Kind::TensorList: {
        c10::List<at::Tensor> list;
        if (!ListFrom(spec, v, "an array of Tensors", &list,
                      [&](const Napi::Value& e, at::Tensor* t) { return TensorFrom(spec, e, t); }))
          return false;
        *out = std::move(list);
        return true;
      }
      case Kind::OptTensorList: {
        c10::List<c10::optional<at::Tensor>> list;
        if (!ListFrom(spec, v, "an array of Tensors or nulls", &list,
                      [&](const Napi::Value& e, c10::optional<at::Tensor>* t) {
                        if (e.IsNull() || e.IsUndefined()) { *t = c10::nullopt; return true; }
                        at::Tensor tensor;
                        if (!TensorFrom(spec, e, &tensor)) return false;
                        *t = std::move(tensor);
                        return true;
                      }))
          return false;
        *out = std::move(list);
        return true;
      }
      case Kind::Int: {
        int64_t i;
        if (!IntFrom(spec, v, &i)) return false;
        *out = i;
        return true;
      }
      case Kind::IntList: {
        if (v.IsArray() && SmallIntList(v, out)) return true;
        c10::List<int64_t> list;
        if (spec.fixedLength > 0 && spec.fixedLength <= 8 && v.IsNumber()) {
          int64_t i;
          if (!IntFrom(spec, v, &i)) return false;
          IntListKey key{static_cast<uint32_t>(spec.fixedLength), {}};
          std::fill(key.v, key.v + key.n, i);
          *out = CachedIntList(key);
          return true;
        }
        if (spec.fixedLength > 0 && (v.IsNumber() || v.IsBigInt())) {
          // `int[2] stride=2` and `int[1] dim=0` accept one number, as in Python.
          int64_t i;
          if (!IntFrom(spec, v, &i)) return false;
          for (int32_t k = 0; k < spec.fixedLength; ++k) list.push_back(i);
        } else if (!ListFrom(spec, v, "an array of integers", &list,
                             [&](const Napi::Value& e, int64_t* i) { return IntFrom(spec, e, i); })) {
          return false;
        }
        *out = std::move(list);
        return true;
      }
      case Kind::Float:
        if (!v.IsNumber()) return Mismatch(spec, "a number", v);
        *out = v.As<Napi::Number>().DoubleValue();
        return true;
      case Kind::FloatList: {
        c10::List<double> list;
        if (!ListFrom(spec, v, "an array of numbers", &list, [&](const Napi::Value& e, double* d) {
              if (!e.IsNumber()) return Mismatch(spec, "a number", e);
              *d = e.As<Napi::Number>().DoubleValue();
              return true;
            }))
          return false;
        *out = std::move(list);
        return true;
      }
      case Kind::Bool:
        if (!v.IsBoolean()) return Mismatch(spec, "a boolean", v);
        *out = v.As<Napi::Boolean>().Value();
        return true;
      case Kind::BoolList: {
        c10::List<bool> list;
        if (!ListFrom(spec, v, "an array of booleans", &list, [&](const Napi::Value& e, bool* b) {
              if (!e.IsBoolean()) return Mismatch(spec, "a boolean", e);
              *b = e.As<Napi::Boolean>().Value();
              return true;
            }))
          return false;
        *out = std::move(list);
        return true;
      }
      case Kind::Scalar:
        if (v.IsNumber()) {
          double d = v.As<Napi::Number>().DoubleValue();
          if (IsIntegral(d))
            *out = static_cast<int64_t>(d);
          else
            *out = d;
          return true;
        }
        if (v.IsBoolean()) { *out = v.As<Napi::Boolean>().Value(); return true; }
        if (v.IsBigInt()) {
          int64_t i;
          if (!IntFrom(spec, v, &i)) return false;
          *out = i;
          return true;
        }
        return Mismatch(spec, "a number or boolean (Scalar)", v);
      case Kind::ScalarType:
      case Kind::Layout:
      case Kind::MemoryFormat:
      case Kind::Device:
      case Kind::Str:
        return EnumFrom(spec, v, out);
      case Kind::Generator: {
        at::Generator* g = GeneratorOf(v);
        if (g == nullptr) return Mismatch(spec, "a Generator", v);
        *out = *g;
        return true;
      }
      case Kind::Unsupported:
        *err = op.unsupportedReason;
        return false;
    }
    return false;
  }

  // Fills `stack` with the operator's arguments; `first` is the index of the
  // first JS argument in `info`.
  bool Fill(const Napi::CallbackInfo& info, size_t first, torch::jit::Stack* stack) {
    const size_t given = info.Length() - first;
    const size_t expected = op.args.size();
    if (given > expected) {
      std::string names;
      for (const auto& a : op.args) names += (names.empty() ? "" : ", ") + a.name;
      *err = "takes at most " + std::to_string(expected) + " arguments (" + names + ") but received " +
             std::to_string(given);
      return false;
    }
    stack->reserve(expected);
    napi_env env = info.Env();
    for (size_t i = 0; i < expected; ++i) {
      const ArgSpec& spec = op.args[i];
      napi_value raw = i < given ? static_cast<napi_value>(info[first + i]) : nullptr;
      napi_valuetype type = napi_undefined;
      if (raw != nullptr) napi_typeof(env, raw, &type);
      if (type == napi_undefined || type == napi_null) {
        if (type == napi_undefined && spec.hasDefault) {
          stack->push_back(spec.defaultValue);
          continue;
        }
        if (spec.optional) {
          stack->emplace_back();
          continue;
        }
        *err = type == napi_undefined ? "missing required argument '" + spec.name + "' (" + spec.typeName + ")"
                                      : "argument '" + spec.name + "' (" + spec.typeName + ") cannot be null";
        return false;
      }
      // Fast paths for the common cases, one N-API call each; everything
      // else (and every error message) goes through Convert.
      if (type == napi_number) {
        if (spec.kind == Kind::Tensor) {
          TensorBox* box = BoxOfNumber(env, raw);
          if (box != nullptr && !box->disposed) {
            stack->emplace_back(box->tensor);
            continue;
          }
        } else if (spec.kind == Kind::Scalar || spec.kind == Kind::Float || spec.kind == Kind::Int) {
          double d;
          napi_get_value_double(env, raw, &d);
          if (spec.kind == Kind::Float) {
            stack->emplace_back(d);
            continue;
          }
          if (IsIntegral(d)) {
            stack->emplace_back(static_cast<int64_t>(d));
            continue;
          }
          if (spec.kind == Kind::Scalar) {
            stack->emplace_back(d);
            continue;
          }
        }
      } else if (type == napi_boolean && spec.kind == Kind::Bool) {
        bool b;
        napi_get_value_bool(env, raw, &b);
        stack->emplace_back(b);
        continue;
      }
      c10::IValue value;
      if (!Convert(spec, Napi::Value(env, raw), &value)) return false;
      stack->push_back(std::move(value));
    }
    return true;
  }
};

}  // namespace

Napi::Value ToJs(Napi::Env env, c10::IValue&& v) {
  if (v.isTensor()) {
    at::Tensor t = std::move(v).toTensor();
    if (!t.defined()) return env.Null();
    return WrapTensor(env, std::move(t));
  }
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, DeviceName(v.toDevice()));
  if (v.isTensorList()) {
    c10::List<at::Tensor> list = std::move(v).toTensorList();
    Napi::Array arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) arr.Set(i, WrapTensor(env, list.get(i)));
    return arr;
  }
  if (v.isIntList()) {
    auto list = v.toIntVector();
    Napi::Array arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) arr.Set(i, Napi::Number::New(env, static_cast<double>(list[i])));
    return arr;
  }
  if (v.isDoubleList()) {
    auto list = v.toDoubleVector();
    Napi::Array arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) arr.Set(i, Napi::Number::New(env, list[i]));
    return arr;
  }
  if (v.isBoolList()) {
    auto list = v.toBoolList();
    Napi::Array arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) arr.Set(i, Napi::Boolean::New(env, list.get(i)));
    return arr;
  }
  if (v.isTuple() || v.isList()) {
    std::vector<c10::IValue> elems =
        v.isTuple() ? v.toTupleRef().elements().vec() : v.toListRef().vec();
    Napi::Array arr = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) arr.Set(i, ToJs(env, std::move(elems[i])));
    return arr;
  }
  Fail(env, std::string("selfsup cannot return a value of type ") + v.tagKind() + " yet");
}


bool ConvertArguments(const Napi::CallbackInfo& info, size_t first, const OpEntry& op, torch::jit::Stack* stack,
                      std::string* err) {
  Converter conv{info.Env(), op, err};
  return conv.Fill(info, first, stack);
}

}  // namespace selfsup
