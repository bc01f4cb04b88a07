// MAE's own parts by value, without Python: numKept's and randomMasking's
// refusals by their messages (the argument names), initMaeEncoder on every
// Linear (weights inside the Xavier bound, biases zeroed, a Linear without a
// bias left alone) and the patch projection, the augmentation's one view,
// forwardMasked's shape check, reconstruct without normalised targets, and
// `capturable`.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Linear } from '../../lib/nn/layers/linear';
import { VisionTransformer } from '../../lib/models/vit';
import { MAE, initMaeEncoder, numKept, randomMasking } from '../../lib/ssl/mae';
import { get2dSincosPosEmbed } from '../../lib/ssl/mae-decoder';
import { patchify } from '../../lib/ssl/losses/mae-loss';
import { refuses } from '../helpers/refuses';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const tinyVit = (o: { qkvBias?: boolean } = {}): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2, numClasses: 0, ...o });

describe('ssl: MAE by value (masking refusals, encoder initialisation, augmentation, shape check)', function () {
  this.timeout(60000);

  it('numKept and randomMasking name the bad argument', () => {
    assert.equal(numKept(10, 0.9), 1);
    assert.equal(numKept(196, 0.75), 49);
    refuses(() => numKept(0, 0.5), 'Expected positive integer for numPatches but received 0');
    refuses(() => numKept(4, 1.5), 'Expected a number in [0, 1] for maskRatio but received 1.5');
    refuses(() => numKept(4, 0.9), 'Expected maskRatio to keep at least one of 4 patches but 0.9 keeps none');
    refuses(() => randomMasking(0, 4, 0.5), 'Expected positive integer for batch but received 0');
    refuses(() => randomMasking(2, 2.5, 0.5), 'Expected positive integer for numPatches but received 2.5');
  });

  it('initMaeEncoder: every Linear xavier-uniform with zero bias (a Linear without one left so), the patch projection too, sin-cos pos_embed', () => {
    torch.manualSeed(21);
    // qkvBias false: the attention's qkv Linear has no bias, which the initialisation must skip.
    const vit = tinyVit({ qkvBias: false });
    const linears = [...vit.modules()].filter((m): m is Linear => m instanceof Linear);
    assert.ok(linears.length >= 4, `${linears.length} Linear layers`);
    assert.ok(linears.some((l) => !l.bias) && linears.some((l) => l.bias), 'Linear layers with and without a bias');
    // Weights far outside every Xavier bound and biases of 1, so that a layer left alone shows.
    torch.noGrad(() => {
      for (const l of linears) {
        l.weight.mul_(0).add_(5);
        if (l.bias) l.bias.mul_(0).add_(1);
      }
      vit.patchEmbed.proj.weight.mul_(0).add_(5);
    });
    initMaeEncoder(vit);
    for (const l of linears) {
      const [out, inp] = l.weight.shape;
      const bound = Math.sqrt(6 / (inp + out));
      const w = values(l.weight);
      assert.ok(w.every((v) => Math.abs(v) <= bound + 1e-7), `Linear ${inp} -> ${out} within +-${bound}`);
      assert.ok(Math.max(...w.map(Math.abs)) > 0.5 * bound, `Linear ${inp} -> ${out} spread over the bound`);
      if (l.bias) assert.ok(values(l.bias).every((v) => v === 0), `Linear ${inp} -> ${out}: zero bias`);
    }
    // The patch projection as a Linear of its (D, C p p) view: bound sqrt(6 / (48 + 16)).
    const proj = values(vit.patchEmbed.proj.weight);
    assert.ok(proj.every((v) => Math.abs(v) <= Math.sqrt(6 / 64) + 1e-7));
    assert.deepEqual(values(vit.posEmbed), values(get2dSincosPosEmbed(16, 4, { clsToken: true })));
    assert.equal(vit.posEmbed.requiresGrad, false);
    vit.dispose();
  });

  it('augmentation: one view of the spec\'s size, normalised; forwardMasked refuses other shapes; capturable', () => {
    torch.manualSeed(22);
    const method = new MAE({ encoder: tinyVit(), decoderDim: 8, decoderDepth: 1, decoderHeads: 2 });
    try {
      assert.equal(method.capturable, true);
      const aug = method.augmentation({ size: 16, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
      assert.equal(aug.numViews, 1);
      assert.deepEqual(aug.groups.map((g) => [...(g.size ?? [])]), [[16, 16]]);
      torch.scope(() => {
        // A constant 0.5 image stays 0.5 under crop and flip; normalised with mean 0.5 it is 0 everywhere.
        const [x] = aug.forward(torch.full([2, 3, 20, 20], 0.5), new torch.Generator().manualSeed(1));
        assert.deepEqual(x.shape, [2, 3, 16, 16]);
        assert.ok(values(x).every((v) => Math.abs(v) < 1e-6), 'normalised with the spec\'s mean');
        refuses(() => method.forwardMasked(torch.zeros([2, 3, 16])), 'Expected images of shape (B, 3, H, W) for MAE but received [2, 3, 16]');
        refuses(() => method.forwardMasked(torch.zeros([2, 1, 16, 16])),
          'Expected images of shape (B, 3, H, W) for MAE but received [2, 1, 16, 16]');
      });
    } finally {
      method.dispose();
    }
  });
  it('reconstruct with normPixLoss false: the decoder\'s prediction itself, no patch statistics put back', () => {
    torch.manualSeed(23);
    const method = new MAE({ encoder: tinyVit(), decoderDim: 8, decoderDepth: 1, decoderHeads: 2, normPixLoss: false });
    try {
      torch.scope(() => {
        // Pixels far from zero mean and unit variance per patch, so that putting statistics back would show.
        const x = torch.randn([2, 3, 16, 16], { generator: new torch.Generator().manualSeed(3) }).mul(3).add(2);
        const { pred } = method.reconstruct(x, { generator: new torch.Generator().manualSeed(4) });
        const raw = torch.noGrad(() => method.forwardMasked(x, { generator: new torch.Generator().manualSeed(4) }).pred);
        const got = values(patchify(pred, 4));
        const expected = values(raw);
        assert.equal(got.length, expected.length);
        got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `[${i}]: ${v} != ${expected[i]}`));
      });
    } finally {
      method.dispose();
    }
  });
});
