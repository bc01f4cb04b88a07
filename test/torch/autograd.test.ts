import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

const aten = torch.ops.aten;
const T = (v: unknown) => v as torch.Tensor;

describe('autograd', () => {
  it('backward accumulates into .grad of leaves', () => {
    const w = torch.tensor([1, 2, 3]).requiresGrad_();
    T(aten.sum(T(aten.mul(w, w)))).backward();
    assert.deepEqual(w.grad!.toArray(), [2, 4, 6]);
    T(aten.sum(w)).backward();
    assert.deepEqual(w.grad!.toArray(), [3, 5, 7]);
    w.grad = undefined;
    assert.equal(w.grad, undefined);
  });

  it('backward of a non-scalar needs a gradient, as in PyTorch', () => {
    const w = torch.tensor([1, 2]).requiresGrad_();
    const y = T(aten.mul(w, 3));
    assert.throws(() => y.backward(), /grad can be implicitly created only for scalar outputs/);
    y.backward(torch.tensor([1, 10]));
    assert.deepEqual(w.grad!.toArray(), [3, 30]);
  });

  it('retainGraph allows a second backward; without it the second fails', () => {
    const w = torch.tensor([2]).requiresGrad_();
    const y = T(aten.sum(T(aten.exp(w))));
    y.backward(undefined, { retainGraph: true });
    y.backward();
    assert.ok(Math.abs((w.grad!.item() as number) - 2 * Math.exp(2)) < 1e-4);
    const z = T(aten.sum(T(aten.exp(w))));
    z.backward();
    assert.throws(() => z.backward(), /Trying to backward through the graph a second time/);
  });

  it('autograd.grad computes higher-order gradients with createGraph', () => {
    const x = torch.tensor([3]).requiresGrad_();
    const y = T(aten.pow(x, 3));
    const [dy] = torch.autograd.grad([y], [x], { createGraph: true });
    assert.equal(dy!.item(), 27);
    const [d2y] = torch.autograd.grad([dy!], [x]);
    assert.equal(d2y!.item(), 18);
    assert.equal(x.grad, undefined);
  });

  it('autograd.grad reports unused inputs unless allowed', () => {
    const x = torch.tensor([1]).requiresGrad_();
    const u = torch.tensor([1]).requiresGrad_();
    const y = T(aten.sum(x));
    assert.throws(() => torch.autograd.grad([y], [u], { retainGraph: true }), /appears to not have been used in the graph/);
    assert.deepEqual(torch.autograd.grad([y], [u], { allowUnused: true }), [undefined]);
  });

  it('noGrad stops recording and restores the mode; enableGrad turns it back on', () => {
    const w = torch.ones([2]).requiresGrad_();
    const y = torch.noGrad(() => T(aten.mul(w, 2)));
    assert.ok(!y.requiresGrad);
    assert.ok(torch.isGradEnabled());
    const z = torch.noGrad(() => torch.enableGrad(() => T(aten.mul(w, 2))));
    assert.ok(z.requiresGrad);
    assert.match(z.gradFn ?? '', /^MulBackward/);
    assert.throws(() => torch.noGrad(() => { throw new Error('inner'); }), /inner/);
    assert.ok(torch.isGradEnabled());
  });

  it('detach() cuts the graph; retainGrad keeps a non-leaf gradient', () => {
    const w = torch.ones([2]).requiresGrad_();
    const h = T(aten.mul(w, 2)).retainGrad();
    assert.ok(!h.isLeaf);
    assert.ok(!h.detach().requiresGrad);
    T(aten.sum(T(aten.mul(h, h)))).backward();
    assert.deepEqual(h.grad!.toArray(), [4, 4]);
  });

  it('autograd.backward handles several outputs', () => {
    const x = torch.tensor([1, 2]).requiresGrad_();
    torch.autograd.backward([T(aten.sum(x)), T(aten.sum(T(aten.mul(x, x))))]);
    assert.deepEqual(x.grad!.toArray(), [3, 5]);
  });

  it('rejects requiresGrad on integer tensors and non-leaves, and bad .grad assignments', () => {
    assert.throws(() => torch.zeros([2], { dtype: 'int64' }).requiresGrad_(),
      /Only floating point and complex tensors can require gradients, not int64/);
    const w = torch.ones([2]).requiresGrad_();
    assert.throws(() => T(aten.mul(w, 2)).requiresGrad_(), /requiresGrad_ can only change leaf tensors/);
    assert.throws(() => { w.grad = torch.ones([3]); }, /Cannot assign a gradient of shape \[3\] to a tensor of shape \[2\]/);
    assert.throws(() => { w.grad = torch.ones([2], { dtype: 'float64' }); },
      /Cannot assign a gradient of float64 on cpu to a tensor of float32 on cpu/);
  });
});
