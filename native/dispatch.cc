#include "dispatch.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/jit_type.h>
#include <ATen/core/stack.h>
#include <torch/version.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "random.h"
#include "handle.h"

namespace selfsup {
namespace {

// How one schema argument is converted from JS. Decided once per operator.
enum class Kind {
  Tensor, TensorList, OptTensorList, Int, IntList, Float, FloatList, Bool, BoolList,
  Scalar, ScalarType, Layout, MemoryFormat, Device, Str, Generator, Unsupported
};

struct ArgSpec {
  std::string name;
  std::string typeName;  // as written in the schema, for messages
  Kind kind;
  bool optional;
  int32_t fixedLength;   // N of `int[2]`, 0 when not fixed
  bool hasDefault;
  c10::IValue defaultValue;
};

struct OpEntry {
  explicit OpEntry(const c10::OperatorHandle& h) : handle(h) {}
  HandleKind kind = HandleKind::Op;
  c10::OperatorHandle handle;
  std::string qualifiedName;  // aten::add.Tensor
  std::vector<ArgSpec> args;
  size_t numReturns;
  // For each return: index of the argument it writes through (Tensor(a!)),
  // or -1. Such a return hands back the caller's own JS value.
  std::vector<int> returnAliasesArg;
  std::string unsupportedReason;  // non-empty if some argument type has no converter
};

// The type as the schema language writes it: Tensor?, int[], Scalar.
std::string SchemaType(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::OptionalType: return SchemaType(type->castRaw<c10::OptionalType>()->getElementType()) + "?";
    case c10::TypeKind::ListType: return SchemaType(type->castRaw<c10::ListType>()->getElementType()) + "[]";
    case c10::TypeKind::NumberType: return "Scalar";
    default: return type->str();
  }
}

Kind KindOf(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType: return Kind::Tensor;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return Kind::Int;
    case c10::TypeKind::FloatType: return Kind::Float;
    case c10::TypeKind::BoolType: return Kind::Bool;
    case c10::TypeKind::NumberType: return Kind::Scalar;
    case c10::TypeKind::ScalarTypeType: return Kind::ScalarType;
    case c10::TypeKind::LayoutType: return Kind::Layout;
    case c10::TypeKind::MemoryFormatType: return Kind::MemoryFormat;
    case c10::TypeKind::DeviceObjType: return Kind::Device;
    case c10::TypeKind::StringType: return Kind::Str;
    case c10::TypeKind::GeneratorType: return Kind::Generator;
    case c10::TypeKind::ListType: {
      const c10::TypePtr& elem = type->castRaw<c10::ListType>()->getElementType();
      switch (elem->kind()) {
        case c10::TypeKind::TensorType: return Kind::TensorList;
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return Kind::IntList;
        case c10::TypeKind::FloatType: return Kind::FloatList;
        case c10::TypeKind::BoolType: return Kind::BoolList;
        case c10::TypeKind::OptionalType:
          if (elem->castRaw<c10::OptionalType>()->getElementType()->kind() == c10::TypeKind::TensorType)
            return Kind::OptTensorList;
          return Kind::Unsupported;
        default: return Kind::Unsupported;
      }
    }
    default: return Kind::Unsupported;
  }
}

std::unique_ptr<OpEntry> MakeEntry(const c10::OperatorHandle& handle) {
  auto entry = std::make_unique<OpEntry>(handle);
  const c10::FunctionSchema& schema = handle.schema();
  entry->qualifiedName = schema.name();
  if (!schema.overload_name().empty()) entry->qualifiedName += "." + schema.overload_name();
  for (const c10::Argument& arg : schema.arguments()) {
    ArgSpec spec;
    spec.name = arg.name();
    c10::TypePtr type = arg.real_type();
    spec.typeName = SchemaType(type);
    spec.optional = type->kind() == c10::TypeKind::OptionalType;
    if (spec.optional) type = type->castRaw<c10::OptionalType>()->getElementType();
    spec.kind = KindOf(type);
    if (spec.kind == Kind::Unsupported && entry->unsupportedReason.empty())
      entry->unsupportedReason = "argument '" + spec.name + "' has type " + spec.typeName +
                                 ", which selfsup cannot pass yet";
    spec.fixedLength = arg.N() ? *arg.N() : 0;
    if (spec.fixedLength > 0) {
      size_t pos = spec.typeName.find("[]");
      if (pos != std::string::npos) spec.typeName.insert(pos + 1, std::to_string(spec.fixedLength));
    }
    spec.hasDefault = arg.default_value().has_value();
    if (spec.hasDefault) spec.defaultValue = *arg.default_value();
    entry->args.push_back(std::move(spec));
  }
  const auto& returns = schema.returns();
  entry->numReturns = returns.size();
  for (const c10::Argument& ret : returns) {
    int aliased = -1;
    const c10::AliasInfo* info = ret.alias_info();
    if (info != nullptr && info->isWrite()) {
      for (size_t i = 0; i < schema.arguments().size(); ++i) {
        const c10::AliasInfo* argInfo = schema.arguments()[i].alias_info();
        if (argInfo != nullptr && argInfo->isWrite() && argInfo->beforeSets() == info->beforeSets()) {
          aliased = static_cast<int>(i);
          break;
        }
      }
    }
    entry->returnAliasesArg.push_back(aliased);
  }
  return entry;
}

// All entries live as long as the process: handles are cached and shared.
struct Registry {
  std::mutex mutex;
  std::unordered_map<std::string, std::unique_ptr<OpEntry>> byName;  // "aten::add.Tensor"
  std::unordered_map<std::string, std::vector<std::string>> overloads;  // "aten::add" -> ["", "Tensor", ...]
  bool indexed = false;

  void Index() {
    if (indexed) return;
    for (const c10::OperatorName& name : c10::Dispatcher::singleton().getAllOpNames()) {
      overloads[name.name].push_back(name.overload_name);
    }
    indexed = true;
  }
};

Registry& Ops() {
  static Registry* registry = new Registry();
  return *registry;
}

std::string Qualify(const std::string& name) {
  return name.find("::") == std::string::npos ? "aten::" + name : name;
}

std::string VersionString() { return TORCH_VERSION; }

OpEntry* Find(Napi::Env env, const std::string& rawName, const std::string& overload) {
  const std::string name = Qualify(rawName);
  const std::string key = overload.empty() ? name : name + "." + overload;
  Registry& reg = Ops();
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto it = reg.byName.find(key);
  if (it != reg.byName.end()) return it->second.get();
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle) {
    reg.Index();
    auto ov = reg.overloads.find(name);
    if (ov == reg.overloads.end()) {
      Fail(env, "Unknown operator '" + name + "': no such operator in libtorch " + VersionString());
    }
    std::string list;
    for (const auto& o : ov->second) list += (list.empty() ? "" : ", ") + (o.empty() ? std::string("(default)") : o);
    Fail(env, "Operator '" + name + "' has no overload '" + overload + "'; available overloads: " + list);
  }
  auto entry = MakeEntry(*handle);
  OpEntry* raw = entry.get();
  reg.byName.emplace(key, std::move(entry));
  return raw;
}

OpEntry* EntryOf(const Napi::Value& value) {
  if (!value.IsExternal()) throw Napi::TypeError::New(value.Env(), "Expected an operator handle");
  auto* entry = value.As<Napi::External<OpEntry>>().Data();
  if (entry == nullptr || entry->kind != HandleKind::Op)
    throw Napi::TypeError::New(value.Env(), "Expected an operator handle");
  return entry;
}

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
        c10::List<int64_t> list;
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
          // NOTE: JS has one number type; integral values become integer
          // Scalars (as Python's `2`), others double Scalars (as `2.5`).
          double d = v.As<Napi::Number>().DoubleValue();
          if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0)
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
    for (size_t i = 0; i < expected; ++i) {
      const ArgSpec& spec = op.args[i];
      Napi::Value v = i < given ? info[first + i] : info.Env().Undefined();
      if (v.IsUndefined() || v.IsNull()) {
        if (v.IsUndefined() && spec.hasDefault) {
          stack->push_back(spec.defaultValue);
          continue;
        }
        if (spec.optional) {
          stack->emplace_back();
          continue;
        }
        *err = v.IsUndefined() ? "missing required argument '" + spec.name + "' (" + spec.typeName + ")"
                               : "argument '" + spec.name + "' (" + spec.typeName + ") cannot be null";
        return false;
      }
      c10::IValue value;
      if (!Convert(spec, v, &value)) return false;
      stack->push_back(std::move(value));
    }
    return true;
  }
};

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

Napi::Value Run(const Napi::CallbackInfo& info, size_t first, OpEntry& op, torch::jit::Stack& stack) {
  Napi::Env env = info.Env();
  return Guard(env, op.qualifiedName.c_str(), [&]() -> Napi::Value {
    op.handle.callBoxed(&stack);
    if (op.numReturns == 0) return env.Undefined();
    auto result = [&](size_t i) -> Napi::Value {
      int aliased = op.returnAliasesArg[i];
      if (aliased >= 0 && first + aliased < info.Length() && !info[first + aliased].IsUndefined())
        return info[first + aliased];
      return ToJs(env, std::move(stack[i]));
    };
    if (op.numReturns == 1) return result(0);
    Napi::Array arr = Napi::Array::New(env, op.numReturns);
    for (size_t i = 0; i < op.numReturns; ++i) arr.Set(i, result(i));
    return arr;
  });
}

Napi::Value Call(const Napi::CallbackInfo& info) {
  OpEntry& op = *EntryOf(info[0]);
  std::string err;
  Converter conv{info.Env(), op, &err};
  torch::jit::Stack stack;
  if (!conv.Fill(info, 1, &stack)) Fail(info.Env(), op.qualifiedName + ": " + err);
  return Run(info, 1, op, stack);
}

Napi::Value CallAny(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "Expected an array of operator handles");
  Napi::Array ops = info[0].As<Napi::Array>();
  std::string failures;
  std::string baseName;
  for (uint32_t i = 0; i < ops.Length(); ++i) {
    OpEntry& op = *EntryOf(ops.Get(i));
    std::string err;
    Converter conv{env, op, &err};
    torch::jit::Stack stack;
    if (conv.Fill(info, 1, &stack)) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::Number::New(env, i));
      pair.Set(1u, Run(info, 1, op, stack));
      return pair;
    }
    if (baseName.empty()) baseName = op.handle.schema().name();
    failures += "\n  " + op.qualifiedName + ": " + err;
  }
  Fail(env, baseName + ": no overload matches the arguments:" + failures);
}

Napi::Value LookupOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "Expected a string for the operator name");
  std::string overload = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  OpEntry* entry = Find(env, info[0].As<Napi::String>().Utf8Value(), overload);
  return Napi::External<OpEntry>::New(env, entry);
}

Napi::Value LookupOverloads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "Expected a string for the operator name");
  const std::string name = Qualify(info[0].As<Napi::String>().Utf8Value());
  std::vector<std::string> names;
  {
    Registry& reg = Ops();
    std::lock_guard<std::mutex> lock(reg.mutex);
    reg.Index();
    auto it = reg.overloads.find(name);
    if (it == reg.overloads.end())
      Fail(env, "Unknown operator '" + name + "': no such operator in libtorch " + VersionString());
    names = it->second;
  }
  // The default overload first, then registration order: the same preference
  // torch.ops gives when several overloads accept the arguments.
  std::stable_partition(names.begin(), names.end(), [](const std::string& s) { return s.empty(); });
  Napi::Array arr = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i)
    arr.Set(i, Napi::External<OpEntry>::New(env, Find(env, name, names[i])));
  return arr;
}

Napi::Value OpInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const OpEntry& op = *EntryOf(info[0]);
  const c10::FunctionSchema& schema = op.handle.schema();
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", schema.name());
  out.Set("overload", schema.overload_name());
  std::ostringstream s;
  s << schema;
  out.Set("schema", s.str());
  Napi::Array args = Napi::Array::New(env, op.args.size());
  for (size_t i = 0; i < op.args.size(); ++i) {
    const c10::Argument& a = schema.arguments()[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", a.name());
    o.Set("type", op.args[i].typeName);
    o.Set("kwargOnly", a.kwarg_only());
    o.Set("hasDefault", op.args[i].hasDefault);
    if (op.args[i].hasDefault) {
      std::ostringstream d;
      d << *a.default_value();
      o.Set("default", d.str());
    }
    o.Set("writes", a.alias_info() != nullptr && a.alias_info()->isWrite());
    args.Set(i, o);
  }
  out.Set("args", args);
  Napi::Array rets = Napi::Array::New(env, schema.returns().size());
  for (size_t i = 0; i < schema.returns().size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", schema.returns()[i].name());
    o.Set("type", SchemaType(schema.returns()[i].real_type()));
    o.Set("aliasesArg", op.returnAliasesArg[i]);
    rets.Set(i, o);
  }
  out.Set("returns", rets);
  return out;
}

Napi::Value ListOps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<c10::OperatorName> names = c10::Dispatcher::singleton().getAllOpNames();
  Napi::Array arr = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    std::string s = names[i].name;
    if (!names[i].overload_name.empty()) s += "." + names[i].overload_name;
    arr.Set(i, s);
  }
  return arr;
}

}  // namespace

void InitDispatch(Napi::Env env, Napi::Object exports) {
  Export<LookupOp>(env, exports, "lookupOp");
  Export<LookupOverloads>(env, exports, "lookupOverloads");
  Export<Call>(env, exports, "call");
  Export<CallAny>(env, exports, "callAny");
  Export<OpInfo>(env, exports, "opInfo");
  Export<ListOps>(env, exports, "listOps");
}

}  // namespace selfsup
