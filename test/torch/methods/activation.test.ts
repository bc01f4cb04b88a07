import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { assertClose } from '../../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('torch/methods/activation', () => {
  it('relu and relu_', () => {
    assertClose(f([-1, 0, 2]).relu(), [0, 0, 2]);
    const x = f([-1, 3]);
    assert.strictEqual(x.relu_(), x);
    assertClose(x, [0, 3]);
  });

  it('leakyRelu scales negative values', () => {
    assertClose(f([-100, 5]).leakyRelu(), [-1, 5]);
    assertClose(f([-10, 5]).leakyRelu(0.2), [-2, 5]);
  });

  it('gelu exact and with the tanh approximation', () => {
    // gelu(x) = x * Phi(x); Phi(1) = 0.8413447, Phi(-1) = 0.1586553.
    assertClose(f([0, 1, -1]).gelu(), [0, 0.8413447, -0.1586553], 1e-6);
    const t = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    assertClose(f([1, -2]).gelu('tanh'), [t(1), t(-2)], 1e-6);
    assert.throws(() => f([1]).gelu('fast' as 'tanh'), /aten::gelu: .*approximate/);
  });

  it('silu, softplus, elu and hardtanh', () => {
    assertClose(f([0, 1]).silu(), [0, sigmoid(1)], 1e-6);
    assertClose(f([0, 1]).softplus(), [Math.LN2, Math.log(1 + Math.E)], 1e-6);
    assertClose(f([1]).softplus(2), [Math.log(1 + Math.exp(2)) / 2], 1e-6);
    assertClose(f([30, 0.5]).softplus(1, 1), [30, Math.log(1 + Math.exp(0.5))], 1e-6);
    assertClose(f([-1, 2]).elu(), [Math.exp(-1) - 1, 2], 1e-6);
    assertClose(f([-1, 2]).elu(2), [2 * (Math.exp(-1) - 1), 2], 1e-6);
    assertClose(f([-3, 0.5, 3]).hardtanh(), [-1, 0.5, 1]);
    assertClose(f([-3, 0.5, 7]).hardtanh(0, 6), [0, 0.5, 6]);
  });

  it('softmax rows sum to one', () => {
    const s = f([[0, 1], [2, 2]]).softmax(1);
    const e = Math.E;
    assertClose(s, [[1 / (1 + e), e / (1 + e)], [0.5, 0.5]], 1e-6);
    assertClose(f([[0, 1], [2, 2]]).softmax(-1).sum(-1), [1, 1], 1e-6);
    assertClose(f([[0], [Math.LN2]]).softmax(0), [[1 / 3], [2 / 3]], 1e-6);
  });

  it('logSoftmax is the log of softmax, stable for large logits', () => {
    const e = Math.E;
    assertClose(f([[0, 1]]).logSoftmax(1), [[Math.log(1 / (1 + e)), Math.log(e / (1 + e))]], 1e-6);
    assertClose(f([[1000, 1000]]).logSoftmax(-1), [[-Math.LN2, -Math.LN2]], 1e-6);
  });

  it('softmax and logSoftmax compute in the dtype option', () => {
    assert.equal(f([1, 2]).softmax(0, { dtype: 'float64' }).dtype, 'float64');
    assert.equal(f([1, 2]).logSoftmax(0, { dtype: 'float64' }).dtype, 'float64');
    assert.equal(f([1, 2]).softmax(0).dtype, 'float32');
  });

  it('reports bad arguments', () => {
    assert.throws(() => f([1, 2]).softmax(1), /aten::softmax\.int: Dimension out of range/);
    assert.throws(() => f([1]).leakyRelu('a' as unknown as number), /argument 'negative_slope'/);
  });
});
