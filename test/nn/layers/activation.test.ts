import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose } from '../../helpers/assert-close';

describe('nn/layers/activation', () => {
  it('ReLU, GELU and SiLU compute their functions', () => {
    const x = torch.tensor([-1, 0, 2]);
    assertClose(new nn.ReLU().forward(x), [0, 0, 2]);
    // GELU(x) = x Phi(x); Phi(2) = 0.97725, Phi(-1) = 0.15866.
    assertClose(new nn.GELU().forward(x), [-0.15865525, 0, 2 * 0.97724987]);
    assertClose(new nn.GELU({ approximate: 'tanh' }).forward(x), [-0.15880801, 0, 1.95459769]);
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    assertClose(new nn.SiLU().forward(x), [-sig(-1), 0, 2 * sig(2)]);
  });

  it('inplace overwrites the input', () => {
    const x = torch.tensor([-1, 3]);
    const y = new nn.ReLU({ inplace: true }).forward(x);
    assertClose(x, [0, 3]);
    assert.equal(y, x);
    const z = torch.tensor([0]);
    new nn.SiLU({ inplace: true }).forward(z);
    assertClose(z, [0]);
  });

  it('prints as PyTorch and rejects bad options', () => {
    assert.equal(new nn.ReLU().toString(), 'ReLU()');
    assert.equal(new nn.ReLU({ inplace: true }).toString(), 'ReLU(inplace=True)');
    assert.equal(new nn.GELU().toString(), "GELU(approximate='none')");
    assert.equal(new nn.SiLU().toString(), 'SiLU()');
    assert.throws(() => new nn.GELU({ approximate: 'fast' as 'tanh' }), /Expected 'none' or 'tanh' for options.approximate but received 'fast'/);
    assert.throws(() => new nn.ReLU({ inplace: 'yes' as unknown as boolean }), /Expected true or false for options.inplace/);
  });
});
