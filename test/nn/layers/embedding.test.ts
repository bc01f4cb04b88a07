import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { flat } from '../../helpers/assert-close';

describe('nn/layers/embedding', () => {
  it('looks up rows for indices of any shape', () => {
    const emb = new nn.Embedding(10, 4);
    const idx = torch.tensor([[1, 2], [4, 9]], { dtype: 'int64' });
    const y = emb.forward(idx);
    assert.deepEqual(y.shape, [2, 2, 4]);
    assert.deepEqual(flat(y.select(0, 1).select(0, 1)), flat(emb.weight.select(0, 9)));
    assert.equal(emb.toString(), 'Embedding(10, 4)');
    emb.dispose();
  });

  it('zeroes the padding row and gives it no gradient', () => {
    const emb = new nn.Embedding(5, 3, { paddingIdx: -2 });
    assert.equal(emb.paddingIdx, 3);
    assert.deepEqual(flat(emb.weight.select(0, 3)), [0, 0, 0]);
    emb.forward(torch.tensor([3, 1, 3], { dtype: 'int64' })).sum().backward();
    assert.deepEqual(flat(emb.weight.grad!.select(0, 3)), [0, 0, 0]);
    assert.deepEqual(flat(emb.weight.grad!.select(0, 1)), [1, 1, 1]);
    assert.equal(emb.toString(), 'Embedding(5, 3, padding_idx=3)');
    emb.dispose();
  });

  it('rejects bad arguments', () => {
    assert.throws(() => new nn.Embedding(0, 3), /Expected positive integer for numEmbeddings but received 0/);
    assert.throws(() => new nn.Embedding(4, 3, { paddingIdx: 4 }), /Expected paddingIdx in \[-4, 3\]/);
    const emb = new nn.Embedding(4, 3);
    assert.throws(() => emb.forward(torch.tensor([4], { dtype: 'int64' })), /aten::embedding: index out of range/);
    emb.dispose();
  });
});
