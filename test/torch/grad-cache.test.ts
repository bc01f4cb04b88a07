// Tensor.grad is one object, as in PyTorch: reads return the same Tensor
// until a backward pass or an assignment may replace the gradient.
import { strict as assert } from 'assert';
import * as torch from '../../lib/torch';

/** A read of `.grad` that TypeScript does not narrow from an earlier assertion. */
const gradOf = (t: torch.Tensor): torch.Tensor | undefined => t.grad;

describe('Tensor.grad caching', () => {
  it('returns the same Tensor on every read, with the current values', () => {
    const w = torch.tensor([1, 2, 3]).requiresGrad_();
    assert.equal(w.grad, undefined);
    w.mul(w).sum().backward();
    const g = gradOf(w)!;
    assert.equal(w.grad, g);
    assert.deepEqual(g.toArray(), [2, 4, 6]);
    // In place: the same object shows the change.
    g.zero_();
    assert.deepEqual(gradOf(w)!.toArray(), [0, 0, 0]);
    assert.equal(w.grad, g);
  });

  it('follows a backward pass, an assignment and clearing', () => {
    const w = torch.tensor([1, 2]).requiresGrad_();
    w.sum().backward();
    assert.deepEqual(gradOf(w)!.toArray(), [1, 1]);
    torch.autograd.backward([w.mul(3).sum()]);
    assert.deepEqual(gradOf(w)!.toArray(), [4, 4]);
    const replacement = torch.tensor([7, 8]);
    w.grad = replacement;
    assert.equal(w.grad, replacement);
    w.grad = undefined;
    assert.equal(w.grad, undefined);
    w.mul(2).sum().backward();
    assert.deepEqual(gradOf(w)!.toArray(), [2, 2]);
  });

  it('reads afresh after the cached handle was freed by its scope', () => {
    const w = torch.tensor([1, 2]).requiresGrad_();
    w.sum().backward();
    const inside = torch.scope(() => { const g = gradOf(w)!; return g.isDisposed; });
    assert.equal(inside, false);
    const after = gradOf(w)!;
    assert.equal(after.isDisposed, false);
    assert.deepEqual(after.toArray(), [1, 1]);
  });

  it('allocates no tensor on repeated reads', () => {
    const w = torch.tensor([1, 2]).requiresGrad_();
    w.sum().backward();
    void w.grad;
    const before = torch.memory().tensors;
    for (let i = 0; i < 100; i++) void w.grad;
    assert.equal(torch.memory().tensors, before);
  });
});
