// Counts the operator calls a function makes (native.call and native.callAny),
// for tests that check a step costs a fixed number of dispatcher calls.
import { native } from '../../lib/torch/native';

/** Operator calls (native.call and native.callAny) made by `fn`. */
export function countCalls(fn: () => void): number {
  const { call, callAny } = native;
  let n = 0;
  native.call = (...args) => { n++; return call(...args); };
  native.callAny = (...args) => { n++; return callAny(...args); };
  try {
    fn();
  } finally {
    native.call = call;
    native.callAny = callAny;
  }
  return n;
}
