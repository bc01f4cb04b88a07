import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { assertClose } from '../../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });
const i64 = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'int64' });

describe('torch/methods/arithmetic', () => {
  describe('binary operators', () => {
    it('add takes a tensor or a number, with alpha', () => {
      assertClose(f([1, 2]).add(f([10, 20])), [11, 22]);
      assertClose(f([1, 2]).add(3), [4, 5]);
      assertClose(f([1, 2]).add(f([10, 20]), { alpha: 2 }), [21, 42]);
      assertClose(f([1, 2]).add(3, { alpha: -1 }), [-2, -1]);
    });

    it('broadcasts a column against a row', () => {
      const r = f([[1], [2]]).add(f([10, 20, 30]));
      assert.deepEqual(r.shape, [2, 3]);
      assertClose(r, [[11, 21, 31], [12, 22, 32]]);
    });

    it('sub, mul with tensors and numbers', () => {
      assertClose(f([5, 7]).sub(f([1, 2])), [4, 5]);
      assertClose(f([5, 7]).sub(1, { alpha: 2 }), [3, 5]);
      assertClose(f([5, 7]).sub(f([1, 1]), { alpha: 3 }), [2, 4]);
      assertClose(f([2, 3]).mul(f([4, 5])), [8, 15]);
      assertClose(f([2, 3]).mul(0.5), [1, 1.5]);
    });

    it('div is true division unless a rounding mode is given', () => {
      const x = i64([7, -7]);
      assert.equal(x.div(2).dtype, 'float32');
      assertClose(x.div(2), [3.5, -3.5]);
      assertClose(x.div(2, { roundingMode: 'trunc' }), [3, -3]);
      assertClose(x.div(2, { roundingMode: 'floor' }), [3, -4]);
      assertClose(f([7, -7]).div(f([2, 2]), { roundingMode: 'floor' }), [3, -4]);
      assertClose(f([1, 3]).div(f([4, 4])), [0.25, 0.75]);
    });

    it('pow with a number and with a tensor exponent', () => {
      assertClose(f([2, 3]).pow(2), [4, 9]);
      assertClose(f([2, 3]).pow(f([3, 0])), [8, 1]);
      assertClose(f([4]).pow(0.5), [2]);
    });

    it('remainder follows the divisor sign, fmod the dividend sign', () => {
      assertClose(f([-3, 3]).remainder(2), [1, 1]);
      assertClose(f([-3, 3]).fmod(2), [-1, 1]);
      assertClose(f([-3, 3]).remainder(f([2, -2])), [1, -1]);
      assertClose(f([-3, 3]).fmod(f([2, -2])), [-1, 1]);
    });

    it('maximum and minimum are elementwise and propagate NaN', () => {
      assertClose(f([1, 5, NaN]).maximum(f([3, 2, 0])), [3, 5, NaN]);
      assertClose(f([1, 5, 0]).minimum(f([3, 2, NaN])), [1, 2, NaN]);
    });

    it('addcmul, addcdiv and lerp', () => {
      assertClose(f([1, 1]).addcmul(f([2, 3]), f([4, 5])), [9, 16]);
      assertClose(f([1, 1]).addcmul(f([2, 3]), f([4, 5]), { value: 0.5 }), [5, 8.5]);
      assertClose(f([1, 1]).addcdiv(f([2, 3]), f([4, 6]), { value: 2 }), [2, 2]);
      assertClose(f([0, 10]).lerp(f([10, 20]), 0.25), [2.5, 12.5]);
      assertClose(f([0, 10]).lerp(f([10, 20]), f([1, 0.5])), [10, 15]);
    });
  });

  describe('unary functions', () => {
    it('computes hand-checkable values', () => {
      assertClose(f([1, -2]).neg(), [-1, 2]);
      assertClose(f([1, -2]).abs(), [1, 2]);
      assertClose(f([0, 1]).exp(), [1, Math.E]);
      assertClose(f([1, Math.E]).log(), [0, 1]);
      assertClose(f([0, Math.E - 1]).log1p(), [0, 1]);
      assertClose(f([0, 1]).expm1(), [0, Math.E - 1]);
      assertClose(f([4, 9]).sqrt(), [2, 3]);
      assertClose(f([4, 0.25]).rsqrt(), [0.5, 2]);
      assertClose(f([3, -2]).square(), [9, 4]);
      assertClose(f([0, Math.PI / 2]).sin(), [0, 1]);
      assertClose(f([0, Math.PI]).cos(), [1, -1]);
      assertClose(f([0, 100]).tanh(), [0, 1]);
      assertClose(f([0, Math.log(3)]).sigmoid(), [0.5, 0.75]);
      assertClose(f([0, 10]).erf(), [0, 1]);
      assertClose(f([-2, 0, 3]).sign(), [-1, 0, 1]);
      assertClose(f([2, -4]).reciprocal(), [0.5, -0.25]);
    });

    it('rounds down, up, and half to even', () => {
      assertClose(f([-1.5, 1.5]).floor(), [-2, 1]);
      assertClose(f([-1.5, 1.5]).ceil(), [-1, 2]);
      assertClose(f([0.5, 1.5, 2.5, -0.5]).round(), [0, 2, 2, -0]);
      assertClose(f([1.234, -5.678]).round({ decimals: 2 }), [1.23, -5.68], 1e-6);
    });
  });

  describe('clamp', () => {
    it('takes numbers, null for a missing bound, or tensors', () => {
      assertClose(f([-1, 0.5, 2]).clamp(0, 1), [0, 0.5, 1]);
      assertClose(f([-1, 0.5, 2]).clamp(null, 1), [-1, 0.5, 1]);
      assertClose(f([-1, 0.5, 2]).clamp(0), [0, 0.5, 2]);
      assertClose(f([-1, 0.5, 2]).clamp(f([0, 1, 0]), f([0.5, 2, 1])), [0, 1, 1]);
      assertClose(f([-1, 0.5, 2]).clamp(null, f([0, 0, 3])), [-1, 0, 2]);
    });

    it('mixes a tensor bound with a number bound, max winning when min > max', () => {
      assertClose(f([-1, 0.5, 2]).clamp(f([0, 0.8, 0]), 1), [0, 0.8, 1]);
      assertClose(f([-1, 0.5, 2]).clamp(2, f([1, 1, 3])), [1, 1, 2]);
    });

    it('propagates gradients through the mixed path', () => {
      const x = f([-1, 0.5, 2]).requiresGrad_();
      x.clamp(f([0, 0, 0]), 1).sum().backward();
      assertClose(x.grad!, [0, 1, 0]);
    });

    it('clampMin and clampMax with numbers and tensors', () => {
      assertClose(f([-1, 2]).clampMin(0), [0, 2]);
      assertClose(f([-1, 2]).clampMin(f([0, 3])), [0, 3]);
      assertClose(f([-1, 2]).clampMax(1), [-1, 1]);
      assertClose(f([-1, 2]).clampMax(f([-2, 5])), [-2, 2]);
    });

    it('reports a call without bounds', () => {
      assert.throws(() => f([1]).clamp(), /aten::clamp: .*min.*max/);
    });
  });

  describe('in-place variants', () => {
    it('return this and change the values', () => {
      const cases: [(x: torch.Tensor) => torch.Tensor, number[]][] = [
        [(x) => x.add_(f([1, 1])), [2, 5]],
        [(x) => x.add_(2, { alpha: 3 }), [7, 10]],
        [(x) => x.sub_(1), [0, 3]],
        [(x) => x.sub_(f([1, 2]), { alpha: 2 }), [-1, 0]],
        [(x) => x.mul_(2), [2, 8]],
        [(x) => x.mul_(f([3, 0])), [3, 0]],
        [(x) => x.div_(2), [0.5, 2]],
        [(x) => x.div_(f([2, 3]), { roundingMode: 'floor' }), [0, 1]],
        [(x) => x.div_(-3, { roundingMode: 'trunc' }), [-0, -1]],
        [(x) => x.pow_(2), [1, 16]],
        [(x) => x.pow_(f([3, 0.5])), [1, 2]],
        [(x) => x.neg_(), [-1, -4]],
        [(x) => x.exp_(), [Math.E, Math.exp(4)]],
        [(x) => x.sqrt_(), [1, 2]],
        [(x) => x.clamp_(2, 3), [2, 3]],
        [(x) => x.clamp_(f([2, 2]), f([3, 3])), [2, 3]],
        [(x) => x.clamp_(f([2, 2]), 3), [2, 3]],
        [(x) => x.clampMin_(2), [2, 4]],
        [(x) => x.clampMax_(f([0, 5])), [0, 4]],
        [(x) => x.zero_(), [0, 0]],
        [(x) => x.fill_(7), [7, 7]],
        [(x) => x.fill_(f(3)), [3, 3]],
        [(x) => x.addcmul_(f([1, 1]), f([2, 3]), { value: 2 }), [5, 10]],
        [(x) => x.addcdiv_(f([1, 1]), f([2, 4])), [1.5, 4.25]],
        [(x) => x.lerp_(f([3, 0]), 0.5), [2, 2]],
        [(x) => x.lerp_(f([3, 0]), f([0, 1])), [1, 0]],
      ];
      for (const [fn, expected] of cases) {
        const x = f([1, 4]);
        assert.strictEqual(fn(x), x, fn.toString());
        assertClose(x, expected, 1e-5);
      }
    });

    it('fill_ takes a boolean for a bool tensor', () => {
      const b = torch.tensor([false, false]);
      assert.strictEqual(b.fill_(true), b);
      assert.deepEqual(b.toArray(), [true, true]);
    });

    it('uniform_ stays within bounds and follows a generator', () => {
      const x = torch.empty([1000]);
      assert.strictEqual(x.uniform_(-2, -1), x);
      assert.ok(x.ge(-2).all().item() && x.lt(-1).all().item());
      const a = torch.empty([5]).uniform_(0, 1, { generator: new torch.Generator().manualSeed(3) });
      const b = torch.empty([5]).uniform_(0, 1, { generator: new torch.Generator().manualSeed(3) });
      assert.deepEqual(a.toArray(), b.toArray());
    });

    it('normal_ has the requested mean and standard deviation', () => {
      torch.manualSeed(0);
      const x = torch.empty([20000]);
      assert.strictEqual(x.normal_(3, 0.5), x);
      assert.ok(Math.abs((x.mean().item() as number) - 3) < 0.02);
      assert.ok(Math.abs((x.std().item() as number) - 0.5) < 0.02);
    });

    it('records in-place operations for autograd', () => {
      const w = f([1, 2]).requiresGrad_();
      const y = w.mul(1).mul_(3).add_(1);
      y.sum().backward();
      assertClose(w.grad!, [3, 3]);
    });
  });

  describe('errors', () => {
    it('mismatched shapes name the operator and the sizes', () => {
      assert.throws(() => f([1, 2, 3]).add(f([1, 2])), /aten::add\.Tensor: The size of tensor a \(3\) must match the size of tensor b \(2\)/);
      assert.throws(() => f([1, 2, 3]).mul_(f([1, 2])), /aten::mul_\.Tensor: .*size of tensor/);
    });

    it('a value of the wrong type names the argument', () => {
      const x = f([1]);
      assert.throws(() => x.add('2' as unknown as number), /aten::add\.Tensor: expected Tensor for argument 'other' \(Tensor\) but received string '2'/);
      assert.throws(() => x.pow({} as unknown as number), /argument 'exponent'/);
      assert.throws(() => x.lerp(2 as unknown as torch.Tensor, 0.5), /argument 'end'/);
      assert.throws(() => x.add(1, { alpha: 'x' as unknown as number }), /argument 'alpha'/);
    });

    it('a bad rounding mode is reported', () => {
      assert.throws(() => f([1]).div(2, { roundingMode: 'ceil' as 'floor' }), /rounding_mode/);
    });
  });
});
