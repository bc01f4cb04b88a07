// Leak checks: how many live tensors a synchronous call leaves behind.
import * as torch from '../../lib/torch';

/**
 * Live tensors after `fn` minus before, with a garbage collection on both sides (mocha runs with --expose-gc), so
 * tensors left to the finalizer by earlier code are not counted and a leak of `fn` is not hidden by it.
 *
 * @example assert.equal(tensorsLeftBy(() => exportOnnx(model, x, file)), 0);
 */
export function tensorsLeftBy(fn: () => void): number {
  global.gc?.();
  const before = torch.memory().tensors;
  fn();
  global.gc?.();
  return torch.memory().tensors - before;
}
