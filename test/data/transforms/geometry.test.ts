import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { RandomHorizontalFlip, hflip, randomRotation90, rotate90 } from '../../../lib/data/transforms';
import { assertAllClose, gen, images, reference } from './reference';

describe('data/transforms: flips and rotations', () => {
  const x = images([6, 3, 8, 8], 8);

  it('flips the masked images as torchvision F.hflip', () => {
    const mask = [true, false, true, true, false, false];
    const [ref] = reference([{ op: 'hflip', images: x, args: { mask } }]);
    assertAllClose(hflip(x, torch.tensor(mask)), ref, 0);
  });

  it('is the identity when flipped twice, and flips about half with p = 0.5', () => {
    const m = torch.tensor([true, true, false, true, false, true]);
    assert.ok(hflip(hflip(x, m), m).equal(x));
    const big = images([400, 1, 2, 2], 9);
    const out = new RandomHorizontalFlip({ p: 0.5 }).forward(big, gen(0));
    const flipped = out.ne(big).any(3).any(2).any(1).to('float64').mean().item() as number;
    assert.ok(flipped > 0.4 && flipped < 0.6, `flipped fraction ${flipped}`);
    assert.ok(new RandomHorizontalFlip({ p: 0 }).forward(x, gen()).equal(x));
  });

  it('rotates per sample as torch.rot90 and returns the labels', () => {
    const k = [0, 1, 2, 3, 1, 3];
    const [ref] = reference([{ op: 'rot90', images: x, args: { k } }]);
    assertAllClose(rotate90(x, torch.tensor(k, { dtype: 'int64' })), ref, 0);
    const { images: rotated, labels } = randomRotation90(x, gen(2));
    assert.equal(labels.dtype, 'int64');
    assert.ok(rotated.equal(rotate90(x, labels)));
  });

  it('is the identity after four quarter turns', () => {
    const k = torch.tensor([1, 1, 1, 1, 1, 1], { dtype: 'int64' });
    assert.ok(rotate90(rotate90(rotate90(rotate90(x, k), k), k), k).equal(x));
    assert.throws(() => rotate90(images([1, 1, 4, 5]), torch.tensor([1], { dtype: 'int64' })), /Expected square images/);
  });
});
