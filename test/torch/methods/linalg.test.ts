import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { assertClose } from '../../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });
const a = () => f([[1, 2], [3, 4]]);
const b = () => f([[5, 6], [7, 8]]);

describe('torch/methods/linalg', () => {
  it('matmul of matrices, vectors and batches', () => {
    assertClose(a().matmul(b()), [[19, 22], [43, 50]]);
    assertClose(a().matmul(f([1, 1])), [3, 7]);
    assertClose(f([1, 1]).matmul(a()), [4, 6]);
    assertClose(f([1, 2]).matmul(f([3, 4])), 11);
    const batch = torch.stack([a(), b()]);               // (2, 2, 2)
    const r = batch.matmul(torch.eye(2));                // broadcasts the (2, 2) operand
    assert.deepEqual(r.shape, [2, 2, 2]);
    assertClose(r, [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  });

  it('mm, bmm, dot and outer', () => {
    assertClose(a().mm(b()), [[19, 22], [43, 50]]);
    assertClose(f([[1, 2, 3]]).mm(f([[1], [1], [1]])), [[6]]);
    const batch = torch.stack([a(), b()]);
    assertClose(batch.bmm(batch), [[[7, 10], [15, 22]], [[67, 78], [91, 106]]]);
    assertClose(f([1, 2, 3]).dot(f([4, 5, 6])), 32);
    assertClose(f([1, 2]).outer(f([3, 4, 5])), [[3, 4, 5], [6, 8, 10]]);
  });

  it('addmm adds a broadcast bias, scaled by beta and alpha', () => {
    assertClose(f([1, 1]).addmm(a(), b()), [[20, 23], [44, 51]]);
    assertClose(f([1, 1]).addmm(a(), b(), { beta: 2, alpha: 0.5 }), [[11.5, 13], [23.5, 27]]);
  });

  it('backpropagates through matmul', () => {
    const x = a().requiresGrad_();
    x.matmul(b()).sum().backward();
    // d/dx sum(x @ b) = ones @ b^T: each row is the row sums of b.
    assertClose(x.grad!, [[11, 15], [11, 15]]);
  });

  it('reports shape mismatches and wrong argument types', () => {
    assert.throws(() => a().mm(f([[1, 2, 3]])), /aten::mm: mat1 and mat2 shapes cannot be multiplied \(2x2 and 1x3\)/);
    assert.throws(() => a().bmm(b()), /aten::bmm: batch1 must be a 3D tensor/);
    assert.throws(() => f([1, 2]).dot(f([1, 2, 3])), /aten::dot: inconsistent tensor size/);
    assert.throws(() => a().matmul('b' as unknown as torch.Tensor), /aten::matmul: expected Tensor for argument 'other'/);
  });
});
