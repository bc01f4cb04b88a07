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

/**
 * Live tensors once the garbage left by earlier code is gone: a garbage collection, then two turns of the event loop
 * so that the finalizers it queued (tensors dropped without dispose) have run. The "before" of a count around an
 * awaited call, where those finalizers would otherwise run in the middle and make the count drop (a negative "left");
 * read the "after" plainly (`torch.memory().tensors`), so a leak of the call itself is not finalized away.
 *
 * @example const before = await settledTensorCount(); await run(); assert.equal(torch.memory().tensors - before, 0);
 */
export async function settledTensorCount(): Promise<number> {
  global.gc?.();
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return torch.memory().tensors;
}
