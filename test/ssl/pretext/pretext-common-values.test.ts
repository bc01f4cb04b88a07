// What the classic pretext tasks share, by value: the one augmented view (its
// size, the flip, the dataset's normalisation), the head's layers, the
// accuracy as a device scalar, and every refusal by its exact message.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Linear } from '../../../lib/nn/layers/linear';
import {
  accuracy, checkColour, checkImageSize, checkOneView, classifier, pretextView,
} from '../../../lib/ssl/pretext/pretext-common';

const values = (t: Tensor): number[] => Array.from(t.flatten().to('float64').toTypedArray() as Float64Array);

describe('ssl/pretext: the pretext tasks\' shared parts by value', () => {
  it('pretextView: one crop at the data\'s size, flipped half the time, normalised with the dataset\'s mean and std', () => {
    const spec = { size: 12, channels: 3, mean: [0.25, 0.5, 0.75], std: [0.5, 0.25, 0.125] };
    const view = pretextView(spec, [1, 1]);
    assert.equal(view.numViews, 1);
    assert.deepEqual(view.groups, [{ size: [12, 12], views: [0] }]);
    // A constant image stays constant through any crop and flip: only the normalisation shows.
    const flat = torch.full([2, 3, 16, 16], 0.5);
    const [v] = view.forward(flat, new torch.Generator().manualSeed(0));
    assert.deepEqual(v.shape, [2, 3, 12, 12]);
    const perChannel = values(v.mean([0, 2, 3]));
    [0.5, 0, -2].forEach((want, c) => assert.ok(Math.abs(perChannel[c] - want) < 1e-5, `channel ${c}: ${perChannel[c]}`));
    // Scale 1 of a square image keeps all of it: each output is the image or its mirror, both occur.
    const ramp = torch.arange(12).to('float32').div(12).view([1, 1, 1, 12]).expand([32, 3, 12, 12]).contiguous();
    const [r] = view.forward(ramp, new torch.Generator().manualSeed(1));
    const first = values(r.select(1, 0).select(1, 0).select(1, 0)); // x = 0 of each image, channel 0
    const lo = (0 - 0.25) / 0.5;
    const hi = (11 / 12 - 0.25) / 0.5;
    assert.ok(first.every((x) => Math.abs(x - lo) < 1e-4 || Math.abs(x - hi) < 1e-4), `left columns ${first}`);
    const flipped = first.filter((x) => Math.abs(x - hi) < 1e-4).length;
    assert.ok(flipped > 4 && flipped < 28, `${flipped} of 32 flipped (p = 0.5)`);
    // A smaller scale crops: a crop of at most half the area cannot hold both ends of the ramp.
    const [c] = pretextView(spec, [0.2, 0.5]).forward(ramp, new torch.Generator().manualSeed(2));
    const spread = values(c.select(1, 0).amax([1, 2]).sub(c.select(1, 0).amin([1, 2])));
    assert.ok(spread.every((s) => s < hi - lo - 0.1), `crops narrower than the image: ${spread}`);
  });

  it('checkOneView: the single 4-d view, otherwise the method\'s exact refusal', () => {
    const x = torch.zeros([2, 1, 4, 4]);
    assert.equal(checkOneView([x], 'Rotation'), x);
    const why = 'expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received';
    assert.throws(() => checkOneView([x, x], 'Rotation'), { message: `Rotation ${why} 2 item(s)` });
    assert.throws(() => checkOneView([], 'Jigsaw'), { message: `Jigsaw ${why} 0 item(s)` });
    assert.throws(() => checkOneView([torch.zeros([1, 4, 4])], 'Jigsaw'), { message: `Jigsaw ${why} 1 item(s)` });
    assert.throws(() => checkOneView(['x' as unknown as Tensor], 'Jigsaw'), { message: `Jigsaw ${why} 1 item(s)` });
    assert.throws(() => checkOneView('views' as unknown as Tensor[], 'Jigsaw'), { message: `Jigsaw ${why} views` });
  });

  it('classifier: Linear(in, hidden), ReLU, Linear(hidden, out) under the keys 0.* and 2.*', () => {
    torch.manualSeed(0);
    const head = classifier(5, 7, 3);
    assert.deepEqual([...head.stateDict()].map(([k, v]) => [k, v.shape]),
      [['0.weight', [7, 5]], ['0.bias', [7]], ['2.weight', [3, 7]], ['2.bias', [3]]]);
    const x = torch.randn([4, 5], { generator: new torch.Generator().manualSeed(1) });
    const [l0, l2] = [head.at(0) as Linear, head.at(2) as Linear];
    const want = l2.forward(l0.forward(x).clamp(0));
    const got = head.forward(x);
    assert.ok(values(got).every((v, i) => Math.abs(v - values(want)[i]) < 1e-6));
  });

  it('accuracy: the share of rows whose largest logit is the label, float32, without gradient', () => {
    const logits = torch.tensor(Float32Array.from([1, 2, 0, 5, 1, 1, 0, 0, 3, 2, 9, 1]), { shape: [4, 3] }).requiresGrad_();
    const labels = torch.tensor([1, 0, 0, 2], { dtype: 'int64' }); // argmax 1, 0, 2, 1: rows 0 and 1 right
    const a = accuracy(logits, labels);
    assert.deepEqual(a.shape, []);
    assert.equal(a.dtype, 'float32');
    assert.equal(a.item(), 0.5);
    assert.equal(a.requiresGrad, false);
    assert.equal(accuracy(logits, torch.tensor([1, 0, 2, 1], { dtype: 'int64' })).item(), 1);
    assert.equal(accuracy(logits, torch.tensor([1, 1, 2, 0], { dtype: 'int64' })).item(), 0.5);
  });

  it('checkImageSize and checkColour: pass at the minimum and with 3 channels; otherwise name the dataset, size and need', () => {
    checkImageSize({ size: 8, channels: 1, mean: [0], std: [1] }, 'Rotation', 8, 'why');
    assert.throws(() => checkImageSize({ size: 7, channels: 1, mean: [0], std: [1], dataset: 'fashion-mnist/train' }, 'Rotation', 8,
      'square images to rotate'),
    { message: "Rotation needs images of at least 8 x 8 px (square images to rotate) but dataset 'fashion-mnist/train' has 7 x 7 px images" });
    assert.throws(() => checkImageSize({ size: 7, channels: 1, mean: [0], std: [1] }, 'Rotation', 8, 'why'),
      { message: 'Rotation needs images of at least 8 x 8 px (why) but the data has 7 x 7 px images' });
    checkColour({ size: 8, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] }, 'Colorization', 'why');
    const tail = '; use --data photos, cifar10:<dir>, stl10:<dir> or a folder of colour images';
    assert.throws(() => checkColour({ size: 28, channels: 1, mean: [0], std: [1], dataset: 'fashion-mnist/train' }, 'Colorization',
      'it predicts colour'), { message: "Colorization needs colour (3-channel RGB) images (it predicts colour) but dataset " +
      `'fashion-mnist/train' has 1-channel images of 28 x 28 px${tail}` });
    assert.throws(() => checkColour({ size: 16, channels: 4, mean: [0], std: [1] }, 'SplitBrain', 'two halves'),
      { message: `SplitBrain needs colour (3-channel RGB) images (two halves) but the data has 4-channel images of 16 x 16 px${tail}` });
  });
});
