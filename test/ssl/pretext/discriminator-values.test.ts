// The context encoder's adversary by value: the layers it builds for each
// image size (channels doubling up to 8 width, 4x4 stride-2 convolutions down
// to 4 px, the last one as large as what is left), its logits against the
// same convolutions chained by hand with LeakyReLU(0.2), and `frozen`.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Discriminator } from '../../../lib/ssl/pretext/discriminator';

/** Each conv as [in, out, kernel, stride, padding]. */
const layers = (d: Discriminator): number[][] => Array.from({ length: d.convs.length }, (_, i) => {
  const c = d.convs.at(i);
  return [c.inChannels, c.outChannels, c.kernelSize[0], c.stride[0], (c.padding as number[])[0]];
});

const leaky = (t: Tensor): Tensor => torch.where(t.gt(0), t, t.mul(0.2));

describe('ssl/pretext: Discriminator by value', () => {
  it('builds 4x4 stride-2 convolutions (width, 2 width, ... at most 8 width) down to 4 px, then one as large as the rest', () => {
    assert.deepEqual(layers(new Discriminator(3, 32, 4)), [[3, 4, 4, 2, 1], [4, 8, 4, 2, 1], [8, 16, 4, 2, 1], [16, 1, 4, 1, 0]]);
    // 128 px, width 2: 64, 32, 16, 8, 4; channels 2, 4, 8, 16, then capped at 16.
    assert.deepEqual(layers(new Discriminator(1, 128, 2)),
      [[1, 2, 4, 2, 1], [2, 4, 4, 2, 1], [4, 8, 4, 2, 1], [8, 16, 4, 2, 1], [16, 16, 4, 2, 1], [16, 1, 4, 1, 0]]);
    assert.deepEqual(layers(new Discriminator(3, 5, 4)), [[3, 4, 4, 2, 1], [4, 1, 2, 1, 0]], '5 px -> 2 px');
    assert.deepEqual(layers(new Discriminator(3, 4, 4)), [[3, 1, 4, 1, 0]], '4 px: the last conv alone');
    assert.deepEqual(layers(new Discriminator(2, 3)), [[2, 1, 3, 1, 0]], '3 px, default width');
    assert.deepEqual(layers(new Discriminator(3, 16))[0], [3, 32, 4, 2, 1], 'default width 32');
    assert.deepEqual([...new Discriminator(3, 8, 4).stateDict().keys()],
      ['convs.0.weight', 'convs.0.bias', 'convs.1.weight', 'convs.1.bias']);
  });

  it('gives one logit per image: the convolutions chained by hand, LeakyReLU 0.2 between them (not after the last)', () => {
    torch.manualSeed(5);
    const d = new Discriminator(3, 16, 4);
    const x = torch.randn([6, 3, 16, 16], { generator: new torch.Generator().manualSeed(2) });
    let y = x;
    for (let i = 0; i < d.convs.length; i++) {
      y = d.convs.at(i).forward(y);
      if (i < d.convs.length - 1) y = leaky(y);
    }
    const logits = d.forward(x);
    assert.deepEqual(logits.shape, [6]);
    const got = logits.toArray() as number[];
    const want = y.flatten().toArray() as number[];
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `logit ${i}: ${v} vs ${want[i]}`));
    assert.ok(want.some((v) => v < 0) && want.some((v) => v > 0), 'logits of both signs: the last LeakyReLU would show');
    assert.ok(d.forward(x, { frozen: true }).equal(logits), 'frozen: the same values');
  });

  it('frozen: gradients reach the input, not the weights; otherwise both', () => {
    torch.manualSeed(1);
    const d = new Discriminator(3, 8, 4);
    const x = torch.randn([2, 3, 8, 8]).requiresGrad_();
    d.forward(x, { frozen: true }).sum().backward();
    assert.ok(x.grad !== undefined && (x.grad.abs().sum().item() as number) > 0, 'the input has a gradient');
    for (const p of d.parameters()) assert.equal(p.grad, undefined, 'no weight gradient when frozen');
    d.forward(x, { frozen: false }).sum().backward();
    for (const p of d.parameters()) assert.ok(p.grad !== undefined && (p.grad.abs().sum().item() as number) > 0, 'weights have gradients');
    const e = new Discriminator(3, 8, 4);
    e.forward(x).sum().backward();
    assert.ok(e.parameters().every((p) => p.grad !== undefined), 'not frozen by default');
  });

  it('refuses sizes that are not positive integers, by name', () => {
    assert.throws(() => new Discriminator(0, 32), { message: 'Expected positive integer for Discriminator channels but received 0' });
    assert.throws(() => new Discriminator(3, 2.5), { message: 'Expected positive integer for Discriminator size but received 2.5' });
    assert.throws(() => new Discriminator(3, 32, 0), { message: 'Expected positive integer for Discriminator width but received 0' });
  });
});
