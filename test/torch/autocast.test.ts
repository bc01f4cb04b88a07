import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

describe('autocast', () => {
  it('runs eligible CPU ops in bfloat16 inside and restores the state after', () => {
    const a = torch.randn([4, 4]);
    const inside = torch.autocast('cpu', 'bfloat16', () => {
      assert.ok(torch.isAutocastEnabled('cpu'));
      return torch.ops.aten.mm(a, a) as torch.Tensor;
    });
    assert.equal(inside.dtype, 'bfloat16');
    assert.ok(!torch.isAutocastEnabled('cpu'));
    assert.equal((torch.ops.aten.mm(a, a) as torch.Tensor).dtype, 'float32');
  });

  it('can be nested and disabled', () => {
    const a = torch.randn([2, 2]);
    const r = torch.autocast('cpu', 'bfloat16', () =>
      torch.autocast('cpu', 'bfloat16', () => torch.ops.aten.mm(a, a) as torch.Tensor, { enabled: false }));
    assert.equal(r.dtype, 'float32');
  });

  it('rejects unsupported dtypes', () => {
    assert.throws(() => torch.autocast('cpu', 'int8' as 'bfloat16', () => 0),
      /Expected 'bfloat16', 'float16' or 'float32' for the autocast dtype but received int8/);
  });
});
