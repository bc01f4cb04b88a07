// The generic operator path: any registered ATen operator, looked up by name
// and overload through the c10 dispatcher and called boxed, with JS values
// converted by the operator's schema.
#pragma once

#include <napi.h>

namespace selfsup {

// lookupOp(name, overload) -> op handle; lookupOverloads(name) -> op handle[];
// call(op, ...args) -> result; callAny(ops, ...args) -> [index, result];
// opInfo(op) -> schema description; listOps() -> 'ns::name.overload'[].
void InitDispatch(Napi::Env env, Napi::Object exports);

}  // namespace selfsup
