import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { flat } from '../../helpers/assert-close';

describe('nn/layers/dropout', () => {
  it('Dropout zeroes about p of the elements and scales the rest in training only', () => {
    torch.manualSeed(1);
    const drop = new nn.Dropout(0.25);
    const x = torch.ones([4000]);
    const values = flat(drop.forward(x));
    const zeros = values.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / values.length - 0.25) < 0.03, `dropped fraction ${zeros / values.length}`);
    assert.ok(values.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
    drop.eval();
    assert.equal(drop.forward(x), x);
    assert.equal(drop.toString(), 'Dropout(p=0.25, inplace=False)');
    assert.equal(new nn.Dropout().p, 0.5);
    assert.throws(() => new nn.Dropout(1.5), /Expected a probability in \[0, 1\] for p but received 1.5/);
  });

  it('DropPath drops whole samples and scales kept ones by 1 / (1 - p), in training only', () => {
    torch.manualSeed(2);
    const dp = new nn.DropPath(0.5);
    const x = torch.ones([64, 3, 5]);
    const y = dp.forward(x);
    const rows = y.reshape([64, 15]).toArray() as number[][];
    let dropped = 0;
    for (const row of rows) {
      // One mask value per sample: all zero or all scaled.
      assert.ok(row.every((v) => v === 0) || row.every((v) => Math.abs(v - 2) < 1e-6), JSON.stringify(row));
      if (row[0] === 0) dropped++;
    }
    assert.ok(dropped > 16 && dropped < 48, `dropped ${dropped} of 64`);
    dp.eval();
    assert.equal(dp.forward(x), x);
    assert.equal(new nn.DropPath().forward(x), x, 'p = 0 is the identity even in training');
    assert.equal(dp.toString(), 'DropPath(drop_prob=0.500)');
    assert.throws(() => new nn.DropPath(-0.1), /Expected a probability in \[0, 1\] for p but received -0.1/);
  });

  it('dropPath passes gradients through the kept samples only', () => {
    torch.manualSeed(3);
    const x = torch.ones([8, 2]).requiresGrad_();
    const y = nn.dropPath(x, 0.5, true);
    y.sum().backward();
    const out = flat(y);
    const grad = flat(x.grad!);
    assert.deepEqual(grad, out);
  });
});
