#include "op_entry.h"

#include <ATen/core/jit_type.h>

#include "unboxed.h"

namespace selfsup {

std::string SchemaType(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::OptionalType: return SchemaType(type->castRaw<c10::OptionalType>()->getElementType()) + "?";
    case c10::TypeKind::ListType: return SchemaType(type->castRaw<c10::ListType>()->getElementType()) + "[]";
    case c10::TypeKind::NumberType: return "Scalar";
    default: return type->str();
  }
}

namespace {

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

}  // namespace

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
    spec.symbolic = type->kind() == c10::TypeKind::SymIntType ||
                    (type->kind() == c10::TypeKind::ListType &&
                     type->castRaw<c10::ListType>()->getElementType()->kind() == c10::TypeKind::SymIntType);
    if (spec.kind == Kind::Unsupported && entry->unsupportedReason.empty())
      entry->unsupportedReason = "argument '" + spec.name + "' has type " + spec.typeName +
                                 ", which selfsup cannot pass yet";
    spec.writes = arg.alias_info() != nullptr && arg.alias_info()->isWrite();
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
  entry->returnsOneTensor = returns.size() == 1 && returns[0].type()->kind() == c10::TypeKind::TensorType;
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
  entry->unboxed = static_cast<uint8_t>(DetectUnboxed(*entry));
  return entry;
}


}  // namespace selfsup
