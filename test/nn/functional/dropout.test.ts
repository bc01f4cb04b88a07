import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, flat } from '../../helpers/assert-close';

describe('nn/functional/dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1 / (1 - p)', () => {
    const values = flat(F.dropout(torch.ones([20000]), { p: 0.25 }));
    const zeros = values.filter((v) => v === 0).length;
    assert.ok(values.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
    assert.ok(Math.abs(zeros / values.length - 0.25) < 0.02, `zeroed fraction ${zeros / values.length}`);
    const half = flat(F.dropout(torch.ones([20000])));
    assert.ok(Math.abs(half.filter((v) => v === 0).length / half.length - 0.5) < 0.02);
  });

  it('is the identity when not training or when p is 0, and zeroes everything when p is 1', () => {
    assertClose(F.dropout(f([1, 2, 3]), { p: 0.9, training: false }), [1, 2, 3]);
    assertClose(F.dropout(f([1, 2, 3]), { p: 0 }), [1, 2, 3]);
    assertClose(F.dropout(f([1, 2, 3]), { p: 1 }), [0, 0, 0]);
  });

  it('follows the manual seed', () => {
    torch.manualSeed(7);
    const a = flat(F.dropout(torch.ones([64])));
    torch.manualSeed(7);
    assert.deepEqual(flat(F.dropout(torch.ones([64]))), a);
  });

  it('inplace overwrites and returns the input', () => {
    const x = torch.ones([1000]);
    const y = F.dropout(x, { p: 0.5, inplace: true });
    assert.equal(y, x);
    assert.ok(flat(x).some((v) => v === 0));
  });

  it('dropout2d zeroes whole channels', () => {
    const y = F.dropout2d(torch.ones([4, 64, 3, 3]), { p: 0.5 });
    const v = flat(y);
    let dropped = 0;
    for (let c = 0; c < 4 * 64; c++) {
      const channel = v.slice(c * 9, c * 9 + 9);
      assert.ok(channel.every((x) => x === channel[0]) && (channel[0] === 0 || channel[0] === 2));
      if (channel[0] === 0) dropped++;
    }
    assert.ok(dropped > 64 && dropped < 192, `dropped ${dropped} of 256 channels`);
    assertClose(F.dropout2d(f([[[[1]]]]), { training: false }), [[[[1]]]]);
  });

  it('rejects probabilities outside [0, 1]', () => {
    assert.throws(() => F.dropout(f([1]), { p: 2 }), /^RangeError: Expected dropout probability p in \[0, 1\] but received 2$/);
    assert.throws(() => F.dropout(f([1]), { p: -0.1 }), /Expected dropout probability p in \[0, 1\] but received -0.1/);
    assert.throws(() => F.dropout(f([1]), { p: NaN }), /Expected dropout probability p in \[0, 1\] but received NaN/);
    assert.throws(() => F.dropout2d(torch.ones([1, 2, 2, 2]), { p: 1.5 }), /Expected dropout probability p in \[0, 1\] but received 1.5/);
    assert.throws(() => F.dropout2d(f([1, 2])), /Expected an input with a channel dimension/);
  });
});
