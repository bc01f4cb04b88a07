import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { RandomResizedCrop, randomResizedCropParams, resizedCrop } from '../../../lib/data/transforms';
import { assertAllClose, gen, images, reference } from './reference';

const boxesOf = (rows: number[][]): torch.Tensor => torch.tensor(rows, { dtype: 'int64' });

function stats(boxes: torch.Tensor, H: number, W: number): { area: number; logRatio: number; full: number } {
  const b = boxes.to('float64');
  const h = b.select(1, 2);
  const w = b.select(1, 3);
  const area = h.mul(w).div(H * W);
  return {
    area: area.mean().item() as number,
    logRatio: w.div(h).log().mean().item() as number,
    full: area.eq(1).to('float64').mean().item() as number,
  };
}

describe('data/transforms: random resized crop', () => {
  it('crops and resizes like torchvision F.resized_crop (bilinear), upsampling and downsampling', () => {
    const x = images([5, 3, 20, 24], 1);
    const boxes = [[0, 0, 20, 24], [3, 5, 7, 9], [10, 2, 10, 22], [0, 19, 1, 5], [12, 0, 8, 3]];
    const sizes: [number, number][] = [[16, 16], [32, 28], [5, 7]];
    const refs = reference(sizes.map((size) => ({ op: 'resized_crop', images: x, args: { boxes, size } })));
    sizes.forEach((size, i) => assertAllClose(resizedCrop(x, boxesOf(boxes), size), refs[i], 2e-5, `size ${size}`));
  });

  it('matches torchvision bicubic away from the crop border', () => {
    const x = images([3, 3, 24, 24], 2);
    const boxes = [[2, 3, 18, 20], [0, 0, 24, 24], [4, 4, 12, 14]];
    const [ref] = reference([{ op: 'resized_crop', images: x, args: { boxes, size: [10, 10], interpolation: 'bicubic' } }]);
    const out = resizedCrop(x, boxesOf(boxes), 10, { interpolation: 'bicubic' });
    assertAllClose(out.narrow(2, 1, 8).narrow(3, 1, 8), ref.narrow(2, 1, 8).narrow(3, 1, 8), 2e-5);
  });

  it('draws boxes inside the image, with torchvision get_params area and ratio statistics', () => {
    const n = 10000;
    for (const [H, W, scale, ratio] of [[32, 32, [0.08, 1], [3 / 4, 4 / 3]], [28, 40, [0.05, 0.4], [0.5, 2]]] as
      [number, number, [number, number], [number, number]][]) {
      const boxes = randomResizedCropParams(n, H, W, { scale, ratio }, gen(3));
      const [top, left, h, w] = boxes.unbind(1);
      assert.ok(top.ge(0).all().item() && left.ge(0).all().item(), 'non-negative corner');
      assert.ok(h.ge(1).all().item() && w.ge(1).all().item(), 'non-empty');
      assert.ok(top.add(h).le(H).all().item() && left.add(w).le(W).all().item(), 'inside the image');
      const [ref] = reference([{ op: 'rrc_params', args: { n, height: H, width: W, scale, ratio } }]);
      const ours = stats(boxes, H, W);
      const theirs = stats(ref, H, W);
      assert.ok(Math.abs(ours.area - theirs.area) < 0.015, `mean area ${ours.area} vs torchvision ${theirs.area}`);
      assert.ok(Math.abs(ours.logRatio - theirs.logRatio) < 0.03, `mean log ratio ${ours.logRatio} vs ${theirs.logRatio}`);
      assert.ok(Math.abs(ours.full - theirs.full) < 0.01, `whole-image fraction ${ours.full} vs ${theirs.full}`);
      const centreY = top.to('float64').add(h.to('float64').div(2)).mean().item() as number;
      assert.ok(Math.abs(centreY - H / 2) < 0.3, `crops centred on average (${centreY})`);
    }
  });

  it('falls back to a centre crop at the nearest ratio when no try fits', () => {
    // Area 2x the image never fits; 40x20 has ratio 0.5 < 3/4, so the fallback is 20 wide, round(20 / 0.75) = 27 high.
    const boxes = randomResizedCropParams(4, 40, 20, { scale: [2, 3] }, gen(0));
    assert.deepEqual(boxes.toArray(), Array(4).fill([6, 0, 27, 20]));
  });

  it('repeats exactly from the same seed and differs across seeds', () => {
    const x = images([6, 3, 32, 32]);
    const crop = new RandomResizedCrop({ size: 16 });
    assert.ok(crop.forward(x, gen(7)).equal(crop.forward(x, gen(7))));
    assert.ok(!crop.forward(x, gen(7)).equal(crop.forward(x, gen(8))));
  });

  it('validates its arguments', () => {
    assert.throws(() => new RandomResizedCrop({ size: 0 }), /Expected positive integer for RandomResizedCrop options.size but received 0/);
    assert.throws(() => new RandomResizedCrop({ size: 8, scale: [1, 0.5] }), /Expected \[low, high\] with low <= high/);
    assert.throws(() => resizedCrop(images([2, 3, 8, 8]), boxesOf([[0, 0, 1, 1]]), 4), /Expected boxes of shape \[2, 4\]/);
    assert.throws(() => new RandomResizedCrop({ size: 8 }).forward(torch.zeros([2, 3, 8, 8], { dtype: 'uint8' })),
      /Expected floating point images.*toFloatImages/);
  });
});
