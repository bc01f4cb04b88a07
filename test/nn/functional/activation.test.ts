import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f } from '../../helpers/assert-close';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
// Phi(1) for the exact GELU: 0.5 * (1 + erf(1 / sqrt 2))
const PHI_1 = 0.8413447460685429;

describe('nn/functional/activation', () => {
  it('rectifiers: relu, relu6, leakyRelu, hardtanh, threshold', () => {
    assertClose(F.relu(f([-1, 0, 2])), [0, 0, 2]);
    assertClose(F.relu6(f([-1, 3, 9])), [0, 3, 6]);
    assertClose(F.leakyRelu(f([-10, 1])), [-0.1, 1]);
    assertClose(F.leakyRelu(f([-10, 1]), { negativeSlope: 0.2 }), [-2, 1]);
    assertClose(F.hardtanh(f([-3, 0.5, 3])), [-1, 0.5, 1]);
    assertClose(F.hardtanh(f([-3, 0.5, 3]), { minVal: 0, maxVal: 2 }), [0, 0.5, 2]);
    assertClose(F.threshold(f([0.5, 2]), 1, -1), [-1, 2]);
  });

  it('exponential units: elu, selu, celu', () => {
    assertClose(F.elu(f([-1, 2])), [Math.exp(-1) - 1, 2]);
    assertClose(F.elu(f([-1])), [Math.exp(-1) - 1]);
    assertClose(F.elu(f([-1]), { alpha: 2 }), [2 * (Math.exp(-1) - 1)]);
    const alpha = 1.6732632423543772;
    const scale = 1.0507009873554805;
    assertClose(F.selu(f([1, -1])), [scale, scale * alpha * (Math.exp(-1) - 1)]);
    assertClose(F.celu(f([-1, 1]), { alpha: 2 }), [2 * (Math.exp(-0.5) - 1), 1]);
  });

  it('smooth gates: gelu, silu, mish, sigmoid, tanh, logsigmoid, softplus', () => {
    assertClose(F.gelu(f([1, 0])), [PHI_1, 0]);
    const t = 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1 + 0.044715)));
    assertClose(F.gelu(f([1]), { approximate: 'tanh' }), [t]);
    assertClose(F.silu(f([1, -2])), [sigmoid(1), -2 * sigmoid(-2)]);
    assertClose(F.mish(f([1])), [Math.tanh(Math.log(1 + Math.E))]);
    assertClose(F.sigmoid(f([0, 2])), [0.5, sigmoid(2)]);
    assertClose(F.tanh(f([0, 1])), [0, Math.tanh(1)]);
    assertClose(F.logsigmoid(f([0, -100])), [-Math.LN2, -100]);
    assertClose(F.softplus(f([0, 100])), [Math.LN2, 100]);
    assertClose(F.softplus(f([1]), { beta: 2 }), [Math.log(1 + Math.exp(2)) / 2]);
    // Above threshold / beta the result is the input itself.
    assertClose(F.softplus(f([3]), { threshold: 2 }), [3]);
  });

  it('hard gates and shrinks', () => {
    assertClose(F.hardswish(f([-4, 0, 1, 4])), [0, 0, 1 * 4 / 6, 4]);
    assertClose(F.hardsigmoid(f([-4, 0, 4])), [0, 0.5, 1]);
    assertClose(F.softsign(f([1, -3])), [0.5, -0.75]);
    assertClose(F.tanhshrink(f([0, 1])), [0, 1 - Math.tanh(1)]);
    assertClose(F.hardshrink(f([0.3, -2])), [0, -2]);
    assertClose(F.softshrink(f([0.3, -2])), [0, -1.5]);
    assertClose(F.softshrink(f([0.3, -2]), 0.2), [0.1, -1.8]);
  });

  it('softmax, logSoftmax and softmin along a dimension', () => {
    assertClose(F.softmax(f([[1, 1], [0, Math.log(3)]]), 1), [[0.5, 0.5], [0.25, 0.75]]);
    assertClose(F.softmax(f([[0, 0], [0, Math.log(3)]]), 0), [[0.5, 0.25], [0.5, 0.75]]);
    assertClose(F.logSoftmax(f([0, Math.log(3)]), 0), [Math.log(0.25), Math.log(0.75)]);
    assertClose(F.logSoftmax(f([[0, Math.log(3)]]), -1), [[Math.log(0.25), Math.log(0.75)]]);
    assertClose(F.softmin(f([0, Math.log(3)]), 0), [0.75, 0.25]);
    const y = F.softmax(f([1, 2]), 0, { dtype: 'float64' });
    assert.equal(y.dtype, 'float64');
    assertClose(y, [sigmoid(-1), sigmoid(1)]);
  });

  it('glu and prelu', () => {
    assertClose(F.glu(f([2, 4, 0, 100])), [1, 4]);
    assertClose(F.glu(f([[2], [0]]), 0), [[1]]);
    assertClose(F.prelu(f([-2, 2]), f([0.25])), [-0.5, 2]);
    assertClose(F.prelu(f([[-2, -2], [2, -4]]), f([0.5, 0.25])), [[-1, -0.5], [2, -1]]);
  });

  it('inplace variants overwrite and return the input', () => {
    const cases: [(x: torch.Tensor) => torch.Tensor, number[]][] = [
      [(x) => F.relu(x, { inplace: true }), [0, 2]],
      [(x) => F.relu6(x, { inplace: true }), [0, 2]],
      [(x) => F.leakyRelu(x, { inplace: true, negativeSlope: 0.5 }), [-0.5, 2]],
      [(x) => F.elu(x, { inplace: true }), [Math.exp(-1) - 1, 2]],
      [(x) => F.hardtanh(x, { inplace: true }), [-1, 1]],
      [(x) => F.silu(x, { inplace: true }), [-sigmoid(-1), 2 * sigmoid(2)]],
      [(x) => F.hardsigmoid(x, { inplace: true }), [1 / 3, 5 / 6]],
      [(x) => F.threshold(x, 0, 7, { inplace: true }), [7, 2]],
    ];
    for (const [fn, expected] of cases) {
      const x = f([-1, 2]);
      assert.equal(fn(x), x);
      assertClose(x, expected);
    }
    const kept = f([-1, 2]);
    F.relu(kept);
    assertClose(kept, [-1, 2]);
  });

  it('gradients: relu passes where positive, sigmoid has s(1 - s)', () => {
    const x = torch.tensor([-1, 2], { requiresGrad: true });
    F.relu(x).backward(f([1, 1]));
    assertClose(x.grad!, [0, 1]);
    const z = torch.tensor([0], { requiresGrad: true });
    F.sigmoid(z).backward(f([1]));
    assertClose(z.grad!, [0.25]);
  });

  it('reports bad arguments', () => {
    assert.throws(() => F.gelu(f([1]), { approximate: 'erf' as 'none' }),
      /Expected one of 'none', 'tanh' for options.approximate but received 'erf'/);
    assert.throws(() => F.hardtanh(f([1]), { minVal: 1, maxVal: 1 }),
      /Expected options.maxVal \(1\) to be greater than options.minVal \(1\)/);
    assert.throws(() => F.softmax(f([1]), 0.5), /Expected integer for dim but received 0.5/);
    assert.throws(() => F.softmax(f([1]), 2), /aten::softmax.int: Dimension out of range/);
    assert.throws(() => F.softmax(f([1]), 0, { dtype: 'float128' as 'float64' }), /Expected one of float32, .* for options.dtype but received float128/);
    assert.throws(() => F.relu([1, 2] as unknown as torch.Tensor), /Expected a Tensor for input but received \[1,2\]/);
    assert.throws(() => F.relu(f([1]), { inplace: 'yes' as unknown as boolean }), /Expected true or false for options.inplace but received 'yes'/);
  });
});
