import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { assertClose } from '../../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });
const m = () => f([[1, 2], [3, 4]]);

describe('torch/methods/reduction', () => {
  describe('sum and mean', () => {
    it('reduce everything or the given dimensions', () => {
      assertClose(m().sum(), 10);
      assertClose(m().sum(1), [3, 7]);
      assertClose(m().sum(0), [4, 6]);
      assertClose(m().sum(-1), [3, 7]);
      assertClose(m().sum([0, 1]), 10);
      assertClose(m().mean(), 2.5);
      assertClose(m().mean(0), [2, 3]);
      assertClose(m().mean([1]), [1.5, 3.5]);
    });

    it('keep reduced dimensions as size 1 with keepdim', () => {
      assert.deepEqual(m().sum(1, true).shape, [2, 1]);
      assertClose(m().sum(1, true), [[3], [7]]);
      assert.deepEqual(m().sum(null, true).shape, [1, 1]);
      assertClose(m().mean(undefined, true), [[2.5]]);
      const x = torch.ones([2, 3, 4, 5]);
      assert.deepEqual(x.mean([2, 3], true).shape, [2, 3, 1, 1]);
      assert.deepEqual(x.mean([2, 3]).shape, [2, 3]);
    });

    it('cast to the dtype option first', () => {
      const x = torch.tensor([250, 10], { dtype: 'uint8' });
      assert.equal(x.sum().dtype, 'int64');
      const s = x.sum(undefined, false, { dtype: 'float64' });
      assert.equal(s.dtype, 'float64');
      assert.equal(s.item(), 260);
      assert.equal(m().mean(0, false, { dtype: 'float64' }).dtype, 'float64');
    });
  });

  it('prod over everything or one dimension', () => {
    assertClose(m().prod(), 24);
    assertClose(m().prod(1), [2, 12]);
    assertClose(m().prod(0, true), [[3, 8]]);
  });

  describe('std and var', () => {
    it('are Bessel-corrected by default', () => {
      // [1, 2, 3, 4]: mean 2.5, squared deviations 5; 5 / 3 unbiased, 5 / 4 biased.
      assertClose(m().var(), 5 / 3);
      assertClose(m().var(null, false), 5 / 4);
      assertClose(m().std(), Math.sqrt(5 / 3));
      assertClose(m().std(undefined, false), Math.sqrt(5 / 4));
    });

    it('reduce dimensions with keepdim and correction', () => {
      assertClose(m().var(0), [2, 2]);
      assertClose(m().var(1, false), [0.25, 0.25]);
      assertClose(m().std(1, true, true), [[Math.SQRT1_2], [Math.SQRT1_2]]);
      assertClose(m().var(0, true, false, { correction: 0 }), [1, 1]);
      assertClose(m().var(null, true, false, { correction: 2 }), 2.5);
      assert.deepEqual(m().std(null, true, true).shape, [1, 1]);
    });
  });

  it('norm: p-norms over everything or dimensions', () => {
    const x = f([[3, -4], [0, 0]]);
    assertClose(x.norm(), 5);
    assertClose(x.norm('fro'), 5);
    assertClose(x.norm(1), 7);
    assertClose(x.norm(Infinity), 4);
    assertClose(x.norm(2, 1), [5, 0]);
    assertClose(x.norm(1, 0, true), [[3, 4]]);
    assertClose(x.norm(2, null, true), [[5]]);
    assert.equal(x.norm(2, 1, false, { dtype: 'float64' }).dtype, 'float64');
  });

  it('logsumexp is log(sum(exp))', () => {
    assertClose(f([[0, 0], [1, 1]]).logsumexp(1), [Math.LN2, 1 + Math.LN2]);
    assertClose(f([[1000, 1000]]).logsumexp(1, true), [[1000 + Math.LN2]], 1e-6);
  });

  it('amax and amin reduce over the given (or all) dimensions', () => {
    assertClose(m().amax(), 4);
    assertClose(m().amax(0), [3, 4]);
    assertClose(m().amin(1, true), [[1], [3]]);
    assertClose(m().amin([0, 1]), 1);
  });

  describe('max and min', () => {
    it('without dim return the extreme element', () => {
      assertClose(m().max(), 4);
      assertClose(m().min(), 1);
    });

    it('with dim return values and indices', () => {
      const x = f([[1, 5, 2], [7, 0, 3]]);
      const { values, indices } = x.max(1);
      assertClose(values, [5, 7]);
      assert.deepEqual(indices.toArray(), [1, 0]);
      assert.equal(indices.dtype, 'int64');
      const low = x.min(0, true);
      assertClose(low.values, [[1, 0, 2]]);
      assert.deepEqual(low.indices.toArray(), [[0, 1, 0]]);
    });

    it('with a tensor are elementwise', () => {
      assertClose(f([1, 5]).max(f([3, 2])), [3, 5]);
      assertClose(f([1, 5]).min(f([3, 2])), [1, 2]);
    });
  });

  it('argmax and argmin over the flattened tensor or a dimension', () => {
    const x = f([[1, 5, 2], [7, 0, 3]]);
    assert.equal(x.argmax().item(), 3);
    assert.equal(x.argmin().item(), 4);
    assert.deepEqual(x.argmax(1).toArray(), [1, 0]);
    assert.deepEqual(x.argmin(0, true).toArray(), [[0, 1, 0]]);
  });

  it('all and any', () => {
    const b = torch.tensor([[true, false], [true, true]]);
    assert.equal(b.all().item(), false);
    assert.equal(b.any().item(), true);
    assert.deepEqual(b.all(1).toArray(), [false, true]);
    assert.deepEqual(b.all(0, true).toArray(), [[true, false]]);
    assert.deepEqual(f([0, 0]).any(0).toArray(), false);
  });

  it('cumsum and cumprod', () => {
    assertClose(f([1, 2, 3]).cumsum(0), [1, 3, 6]);
    assertClose(f([1, 2, 3]).cumprod(0), [1, 2, 6]);
    assertClose(m().cumsum(1), [[1, 3], [3, 7]]);
    assert.equal(torch.tensor([1, 2], { dtype: 'int32' }).cumsum(0, { dtype: 'float64' }).dtype, 'float64');
  });

  it('sum backpropagates ones', () => {
    const x = m().requiresGrad_();
    x.sum(1).mul(f([1, 2])).sum().backward();
    assertClose(x.grad!, [[1, 1], [2, 2]]);
  });

  it('reports bad dimensions and argument types', () => {
    assert.throws(() => m().sum(2), /aten::sum\.dim_IntList: Dimension out of range/);
    assert.throws(() => m().max(5), /aten::max\.dim: Dimension out of range/);
    assert.throws(() => m().logsumexp('a' as unknown as number), /argument 'dim'/);
    assert.throws(() => m().sum(1, 'yes' as unknown as boolean), /argument 'keepdim'/);
  });
});
