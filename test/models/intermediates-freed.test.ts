// A forward keeps no handle to its intermediates once it returns: Sequential,
// the ViT block, ResNet's blocks and stem, and SmallCnn run their bodies in a
// scope, as Python frees a function's locals, so the activations' memory goes
// back as soon as backward has used it instead of at the end of the caller's
// scope (measured: the CNN step of bench:ddp, docs/bench.md). Backward still
// works: autograd holds what it saved.
import * as assert from 'node:assert/strict';
import { torch, nn, models } from '../../lib';

type Tensor = torch.Tensor;

/** Tensor handles alive after `forward` inside a scope, beyond its output, and the gradients of a backward after it. */
function handlesLeft(module: nn.Module, forward: () => Tensor): { left: number; gradsFinite: boolean } {
  let left = -1;
  let gradsFinite = false;
  torch.scope(() => {
    const before = torch.memory().tensors;
    const out = forward();
    left = torch.memory().tensors - before - 1;
    out.pow(2).mean().backward();
    gradsFinite = module.parameters().every((p) => p.grad !== null && p.grad !== undefined &&
      (p.grad.isfinite().all().item() as boolean));
  });
  module.zeroGrad();
  return { left, gradsFinite };
}

describe('module forwards free their intermediates when they return', () => {
  it('Sequential: only the output is left (the five intermediates are not)', () => {
    torch.manualSeed(0);
    const seq = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 2));
    const x = torch.randn([3, 4]);
    assert.deepEqual(handlesLeft(seq, () => seq.forward(x)), { left: 0, gradsFinite: true });
    x.dispose();
  });

  it('an empty Sequential returns its input, which stays alive', () => {
    const x = torch.randn([2]);
    torch.scope(() => { assert.equal(new nn.Sequential().forward(x), x); });
    assert.equal(x.isDisposed, false);
    x.dispose();
  });

  it('ViT: forwardFeatures and forwardEncoderMasked leave only their outputs', () => {
    torch.manualSeed(4);
    const vit = models.vitTiny4({ imgSize: 16, numClasses: 0 });
    const images = torch.randn([2, 3, 16, 16]);
    assert.deepEqual(handlesLeft(vit, () => vit.forwardFeatures(images)), { left: 0, gradsFinite: true });
    const keep = torch.tensor([[0, 5, 9], [3, 4, 15]], { dtype: 'int64' });
    const seen = handlesLeft(vit, () => vit.forwardEncoderMasked(images, keep));
    assert.equal(seen.left, 0);
    vit.dispose();
    for (const t of [images, keep]) t.dispose();
  });

  it('ViT block: only the output is left', () => {
    torch.manualSeed(1);
    const block = new models.VitBlock(16, { numHeads: 2 });
    const tokens = torch.randn([2, 5, 16]);
    assert.deepEqual(handlesLeft(block, () => block.forward(tokens)), { left: 0, gradsFinite: true });
    block.dispose();
    tokens.dispose();
  });

  it('ResNet: the stem (forwardFeatures), a BasicBlock and a Bottleneck leave only their outputs', () => {
    torch.manualSeed(2);
    const resnet = models.resnet18({ numClasses: 0, smallImages: true });
    const images = torch.randn([2, 3, 16, 16]);
    assert.deepEqual(handlesLeft(resnet, () => resnet.forwardFeatures(images)), { left: 0, gradsFinite: true });
    const basic = resnet.layer1.at(0) as nn.Module & { forward(x: Tensor): Tensor };
    const map = torch.randn([2, 64, 4, 4]);
    assert.deepEqual(handlesLeft(basic, () => basic.forward(map)), { left: 0, gradsFinite: true });
    const wide = models.resnet50({ numClasses: 0, smallImages: true });
    const bottleneck = wide.layer1.at(0) as nn.Module & { forward(x: Tensor): Tensor };
    assert.deepEqual(handlesLeft(bottleneck, () => bottleneck.forward(map)), { left: 0, gradsFinite: true });
    for (const m of [resnet, wide]) m.dispose();
    for (const t of [images, map]) t.dispose();
  });

  it('SmallCnn (with its input resize): only the output is left', () => {
    torch.manualSeed(3);
    const cnn = new models.SmallCnn({ inChannels: 3, inputScale: 2 });
    const images = torch.randn([2, 3, 16, 16]);
    assert.deepEqual(handlesLeft(cnn, () => cnn.forwardFeatures(images)), { left: 0, gradsFinite: true });
    cnn.dispose();
    images.dispose();
  });
});
