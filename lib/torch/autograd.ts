// Autograd: grad mode and gradients of several outputs.
import { native, Handle } from './native';
import { Tensor, gradientsMayChange } from './tensor';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = native.isGradEnabled();
  native.setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/**
 * Runs `fn` without recording operations for autograd, as `with torch.no_grad()`.
 * @example const y = torch.noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with autograd recording on, as `with torch.enable_grad()`. @example torch.enableGrad(() => f(x)) */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** Whether operations are being recorded now, as `torch.is_grad_enabled()`. */
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Turns recording on or off until changed again, as `torch.set_grad_enabled`. */
export function setGradEnabled(enabled: boolean): void {
  native.setGradEnabled(enabled);
}

export interface GradOptions {
  /** Gradients of the outputs (needed for non-scalar outputs). */
  gradOutputs?: (Tensor | undefined)[];
  /** Keep the graph for another backward (defaults to createGraph). */
  retainGraph?: boolean;
  /** Record the gradient computation, for higher-order gradients. */
  createGraph?: boolean;
  /** Return undefined for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

const unwrap = (ts: readonly Tensor[], what: string): Handle[] => {
  if (!Array.isArray(ts)) throw new TypeError(`Expected an array of Tensors for ${what}`);
  return ts.map((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`Expected a Tensor for ${what}[${i}] but received ${typeof t}`);
    return t._h;
  });
};

/**
 * Gradients of `outputs` with respect to `inputs`, without touching `.grad`,
 * as `torch.autograd.grad`.
 * @example const [dx] = torch.autograd.grad([y], [x], { createGraph: true });
 */
export function grad(outputs: Tensor[], inputs: Tensor[], options: GradOptions = {}): (Tensor | undefined)[] {
  // NOTE: the defaults (createGraph and allowUnused false, retainGraph = createGraph)
  // are the addon's, as libtorch's: an absent option reaches it as undefined.
  const result = native.grad(unwrap(outputs, 'outputs'), unwrap(inputs, 'inputs'),
    options.gradOutputs?.map((g) => (g === undefined ? null : g._h)), options.retainGraph,
    options.createGraph, options.allowUnused);
  return result.map((r) => (r === null ? undefined : new Tensor(r)));
}

/**
 * Accumulates gradients of several outputs into the leaves' `.grad`, as `torch.autograd.backward`.
 * @example torch.autograd.backward([loss1, loss2]);
 */
export function backward(outputs: Tensor[], gradients?: (Tensor | undefined)[],
  options: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {}): void {
  gradientsMayChange();
  native.backward(unwrap(outputs, 'outputs'), gradients?.map((g) => (g === undefined ? null : g._h)),
    options.retainGraph, options.createGraph, options.inputs && unwrap(options.inputs, 'inputs'));
}
