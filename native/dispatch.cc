#include "dispatch.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/version.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "convert.h"
#include "handle.h"
#include "op_entry.h"
#include "unboxed.h"

namespace selfsup {
namespace {

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

// Argument stacks are reused across calls (a heap allocation per call would
// show in small operators). A depth index keeps a re-entrant call (a JS
// getter running torch code in the middle of a conversion) on its own stack.
class StackLease {
 public:
  StackLease() : stack_(Acquire()) {}
  ~StackLease() {
    stack_.clear();
    --Depth();
  }
  torch::jit::Stack& get() { return stack_; }

 private:
  static int& Depth() {
    static int depth = 0;
    return depth;
  }
  static torch::jit::Stack& Acquire() {
    static auto& pool = *new std::vector<std::unique_ptr<torch::jit::Stack>>();
    int d = Depth()++;
    while (static_cast<int>(pool.size()) <= d) pool.push_back(std::make_unique<torch::jit::Stack>());
    return *pool[d];
  }
  torch::jit::Stack& stack_;
};

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
  if (op.unboxed != 0) {
    Napi::Value result;
    bool done = false;
    Guard(info.Env(), op.qualifiedName.c_str(), [&]() -> Napi::Value {
      done = CallUnboxed(info, 1, op, &result);
      return result;
    });
    if (done) return result;
  }
  std::string err;
  StackLease lease;
  torch::jit::Stack& stack = lease.get();
  if (!ConvertArguments(info, 1, op, &stack, &err)) Fail(info.Env(), op.qualifiedName + ": " + err);
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
    StackLease lease;
    torch::jit::Stack& stack = lease.get();
    if (ConvertArguments(info, 1, op, &stack, &err)) {
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
