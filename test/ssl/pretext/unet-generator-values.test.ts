// DeOldify's U-Net by value: the encoder stages (small_cnn after conv1, conv3,
// conv5; a ResNet's stem and four layers, with and without the max-pool),
// their channels, the decoder's blocks and head chained by hand (nearest
// upsampling, skip after the upsampled map, two conv-BN-ReLU, the input
// joined last, squashed into (-3, 3)), the patch critic, and the refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Module } from '../../../lib/nn/module';
import { interpolate } from '../../../lib/nn/functional/sampling';
import { maxPool2d } from '../../../lib/nn/functional/pooling';
import { create } from '../../../lib/models/registry';
import { Encoder } from '../../../lib/models/encoder';
import { PatchCritic, UnetDecoder, encoderStages, stageChannels } from '../../../lib/ssl/pretext/unet-generator';
import { assertAllClose } from '../../data/transforms/reference';

const relu = (t: Tensor): Tensor => t.clamp(0);
const leaky = (t: Tensor): Tensor => torch.where(t.gt(0), t, t.mul(0.2));
const gen = (seed: number): torch.Generator => new torch.Generator().manualSeed(seed);

/** A Module that is neither small_cnn nor a ResNet. */
class OtherNet extends Module {
  readonly featureDim = 4;
  readonly numClasses = 0;
  forward(x: Tensor): Tensor {
    return x.flatten(1);
  }
}

describe('ssl/pretext: the U-Net generator by value', () => {
  it('small_cnn stages: the maps after conv1, conv3 and conv5 (each with its batch norm and ReLU)', () => {
    torch.manualSeed(0);
    const enc = create('small_cnn', { inChannels: 3, width: 4 });
    enc.eval();
    const x = torch.randn([2, 3, 16, 16], { generator: gen(1) });
    const stages = encoderStages(enc, x);
    assert.deepEqual(stages.map((s) => s.shape), [[2, 4, 16, 16], [2, 8, 8, 8], [2, 16, 4, 4]]);
    let y = x;
    const after: Tensor[] = [];
    for (let i = 0; i < 5; i++) after.push(y = relu(enc.norms[i].forward(enc.convs[i].forward(y))));
    assertAllClose(stages[0], after[0], 1e-6, 'conv1');
    assertAllClose(stages[1], after[2], 1e-6, 'conv3');
    assertAllClose(stages[2], enc.forwardFeatures(x), 1e-6, 'conv5 is the last map');
    assert.deepEqual(stageChannels(enc), [4, 8, 16]);
    assert.deepEqual(stageChannels(create('small_cnn', { width: 3 })), [3, 6, 12]);
  });

  it('ResNet stages: the stem before the max-pool, then layer1..layer4 (no max-pool with smallImages)', () => {
    torch.manualSeed(0);
    const x = torch.randn([1, 3, 32, 32], { generator: gen(2) });
    for (const smallImages of [false, true]) {
      const enc = create('resnet18', { numClasses: 0, smallImages });
      enc.eval();
      const stages = encoderStages(enc, x);
      const sides = smallImages ? [32, 32, 16, 8, 4] : [16, 8, 4, 2, 1];
      assert.deepEqual(stages.map((t) => t.shape), [64, 64, 128, 256, 512].map((c, i) => [1, c, sides[i], sides[i]]),
        `smallImages ${smallImages}`);
      const stem = relu(enc.bn1.forward(enc.conv1.forward(x)));
      assertAllClose(stages[0], stem, 1e-5, 'stem');
      const l1 = enc.layer1.forward(smallImages ? stem : maxPool2d(stem, 3, { stride: 2, padding: 1 }));
      assertAllClose(stages[1], l1, 1e-5, 'layer1');
      assertAllClose(stages[2], enc.layer2.forward(l1), 1e-5, 'layer2');
      assertAllClose(stages[4], enc.forwardFeatures(x), 1e-5, 'layer4 is the last map');
    }
    assert.deepEqual(stageChannels(create('resnet18', { numClasses: 0 })), [64, 64, 128, 256, 512]);
    assert.deepEqual(stageChannels(create('resnet50', { numClasses: 0 })), [64, 256, 512, 1024, 2048]);
  });

  it('refuses other encoders, naming them', () => {
    const other = new OtherNet() as unknown as Encoder;
    assert.throws(() => encoderStages(other, torch.zeros([1, 3, 8, 8])), {
      message: 'Expected a small_cnn or ResNet encoder for the U-Net generator (its stages are the skip connections) but received OtherNet',
    });
    assert.throws(() => stageChannels(other),
      { message: 'Expected a small_cnn or ResNet encoder for the U-Net generator but received OtherNet' });
  });

  it('UnetDecoder: blocks from the deepest map up, the head on the input joined last, in (-3, 3), chained by hand', () => {
    torch.manualSeed(4);
    const dec = new UnetDecoder([4, 8, 16], 3);
    assert.deepEqual([...dec.stateDict()].filter(([k]) => k.endsWith('weight')).map(([k, v]) => [k, v.shape]), [
      ['blocks.0.conv1.weight', [8, 24, 3, 3]], ['blocks.0.bn1.weight', [8]], ['blocks.0.conv2.weight', [8, 8, 3, 3]],
      ['blocks.0.bn2.weight', [8]], ['blocks.1.conv1.weight', [4, 12, 3, 3]], ['blocks.1.bn1.weight', [4]],
      ['blocks.1.conv2.weight', [4, 4, 3, 3]], ['blocks.1.bn2.weight', [4]], ['head.0.weight', [4, 7, 3, 3]],
      ['head.2.weight', [3, 4, 1, 1]],
    ]);
    // The block convolutions have no bias (batch norm follows); the head's have.
    assert.deepEqual([...dec.stateDict().keys()].filter((k) => k.endsWith('.bias')), ['blocks.0.bn1.bias', 'blocks.0.bn2.bias',
      'blocks.1.bn1.bias', 'blocks.1.bn2.bias', 'head.0.bias', 'head.2.bias']);
    // Stages of sizes that nearest upsampling by 2 would not reach exactly: 12, 5, 3 px, input 13 px.
    const stages = [torch.randn([2, 4, 12, 12], { generator: gen(1) }), torch.randn([2, 8, 5, 5], { generator: gen(2) }),
      torch.randn([2, 16, 3, 3], { generator: gen(3) })];
    const input = torch.randn([2, 3, 13, 13], { generator: gen(4) });
    const block = (k: number, x: Tensor, skip: Tensor): Tensor => {
      const b = dec.blocks.at(k);
      const up = interpolate(x, { size: [skip.shape[2], skip.shape[3]], mode: 'nearest' });
      const h = relu(b.bn1.forward(b.conv1.forward(torch.cat([up, skip], 1))));
      return relu(b.bn2.forward(b.conv2.forward(h)));
    };
    const y = block(1, block(0, stages[2], stages[1]), stages[0]);
    const up = interpolate(y, { size: [13, 13], mode: 'nearest' });
    const want = dec.head.forward(torch.cat([up, input], 1)).sigmoid().mul(6).sub(3);
    const got = dec.forward(stages, input);
    assert.deepEqual(got.shape, [2, 3, 13, 13]);
    assertAllClose(got, want, 1e-5, 'decoder');
    const v = Array.from(got.flatten().toTypedArray() as Float32Array);
    assert.ok(v.every((e) => e > -3 && e < 3), 'inside (-3, 3)');
    assert.ok(Math.min(...v) < -0.5 && Math.max(...v) > 0.5, 'both signs: the shift by 3 shows');
  });

  it('PatchCritic: conv 4x4/2 (width), conv 4x4/2 (2 width), LeakyReLU 0.2 after each, a 3x3 conv to one logit per patch', () => {
    torch.manualSeed(2);
    const c = new PatchCritic(3, 4);
    assert.deepEqual([...c.stateDict()].map(([k, v]) => [k, v.shape]), [
      ['conv1.weight', [4, 3, 4, 4]], ['conv1.bias', [4]], ['conv2.weight', [8, 4, 4, 4]], ['conv2.bias', [8]],
      ['conv3.weight', [1, 8, 3, 3]], ['conv3.bias', [1]],
    ]);
    assert.deepEqual([c.conv1.stride, c.conv1.padding, c.conv2.stride, c.conv2.padding, c.conv3.stride, c.conv3.padding],
      [[2, 2], [1, 1], [2, 2], [1, 1], [1, 1], [1, 1]]);
    const x = torch.randn([2, 3, 16, 16], { generator: gen(5) });
    const got = c.forward(x);
    assert.deepEqual(got.shape, [2, 1, 4, 4]);
    assertAllClose(got, c.conv3.forward(leaky(c.conv2.forward(leaky(c.conv1.forward(x))))), 1e-6, 'critic');
  });
});
