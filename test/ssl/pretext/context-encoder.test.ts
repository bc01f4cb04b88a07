// The context encoder: its masks and loss weights against loops in Python,
// one step's loss, prediction and every gradient (both players) against a
// PyTorch re-implementation (test/helpers/inpainting_ref.py), the loss falling
// on a fixed batch, every option reaching where it acts, and bad input.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { SGD } from '../../../lib/optim/sgd';
import { ContextEncoder, ContextEncoderOptions } from '../../../lib/ssl/context-encoder';
import { blockHoles, centerHole, regionHoles, reconstructionWeights } from '../../../lib/ssl/pretext/inpainting-masks';
import { create, list } from '../../../lib/ssl/registry';
import { Trainer } from '../../../lib/train/trainer';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset } from '../../../lib/data/dataset';
import { assertAllClose } from '../../data/transforms/reference';
import { inpaintingReference } from '../../helpers/inpainting-ref';
import { checkImageNormStats } from '../../helpers/image-norm-stats-check';

const WIDTH = 4;
const SIZE = 16;
const base = (o: Partial<ContextEncoderOptions> = {}): ContextEncoderOptions => ({
  encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: WIDTH }, imageSize: SIZE, discriminatorWidth: 4, ...o,
});
const g = (seed: number) => new torch.Generator().manualSeed(seed);
const weightsOf = (m: ContextEncoder): Record<string, Tensor> =>
  Object.fromEntries([...m.stateDict()].map(([k, v]) => [`w.${k}`, v]));
const sum = (t: Tensor): number => t.sum().item() as number;

describe('ssl/pretext: ContextEncoder', function () {
  this.timeout(300000);
  const x = torch.randn([4, 3, SIZE, SIZE], { generator: g(1) });

  it('holes: the centre square, random blocks up to 1/4, random regions of exactly 1/4', () => {
    const c = centerHole(2, 32, 32, 2);
    const rows = c.select(0, 0).select(0, 0).sum([1]).toArray() as number[];
    // The centre half [8, 24) shrunk by 2 on each side: rows 10..21 hold 12 ones each.
    assert.deepEqual(rows.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    assert.equal(sum(c), 2 * 12 * 12);
    const b = blockHoles(16, 32, 32, g(2));
    const perImage = b.flatten(1).sum([1]).toArray() as number[];
    for (const n of perImage) assert.ok(n >= 64 && n <= 256, `blocks cover ${n} of 1024 px`);
    assert.ok(new Set(perImage).size > 1, 'blocks overlap differently per image');
    const r = regionHoles(8, 32, 32, g(3));
    assert.deepEqual(r.flatten(1).sum([1]).toArray(), new Array(8).fill(256));
    assert.notDeepEqual(r.select(0, 0).toArray(), r.select(0, 1).toArray(), 'each image its own region');
  });

  it('reconstruction weights equal loops in Python: 1 in the hole, overlapWeight within overlap px of it', () => {
    const holes = [blockHoles(2, 12, 12, g(4)), regionHoles(2, 12, 12, g(5)), centerHole(1, 12, 12, 1)];
    const cases = holes.flatMap((hole) => [1, 2].map((overlap) => ({ hole, overlap })));
    const refs = inpaintingReference(cases.map(({ hole, overlap }) => ({ op: 'inpainting_weights', inputs: { hole },
      args: { overlap, overlapWeight: 7 } })));
    cases.forEach(({ hole, overlap }, i) => assertAllClose(reconstructionWeights(hole, overlap, 7), refs[i].weights, 0,
      `weights, overlap ${overlap}`));
  });

  it('one step: loss, prediction and every gradient equal PyTorch (centre + adversary, blocks + adversary, regions alone)', () => {
    const runs = (['center', 'block', 'region'] as const).map((mask, i) => {
      torch.manualSeed(10 + i);
      const m = new ContextEncoder(base({ mask, adversarial: mask !== 'region', adversarialWeight: 0.2 }));
      const task = m.drawTask(x, g(20 + i));
      return { m, task };
    });
    const refs = inpaintingReference(runs.map(({ m, task }) => ({ op: 'context_encoder_step',
      inputs: { x, hole: task.hole, ...weightsOf(m) },
      args: { channels: 3, width: WIDTH, imageSize: SIZE, overlap: m.overlap, overlapWeight: 10,
        adversarialWeight: 0.2 } })));
    runs.forEach(({ m, task }, i) => {
      m.train();
      m.zeroGrad();
      const out = m.taskLoss(x, task);
      out.loss.backward();
      const ref = refs[i];
      assert.ok(Math.abs((out.loss.item() as number) - (ref.loss.item() as number)) < 1e-4, `${m.mask}: loss`);
      assert.ok(Math.abs((out.reconstruction.item() as number) - (ref.reconstruction.item() as number)) < 1e-5);
      assertAllClose(out.prediction, ref.prediction, 1e-4, `${m.mask}: prediction`);
      for (const [k, p] of m.namedParameters()) {
        const e = ref[`grad.${k}`];
        assert.ok(e !== undefined, `reference gradient of ${k}`);
        const scale = Math.max(1e-3, e.abs().max().item() as number);
        assertAllClose(p.grad!, e, 2e-4 * scale + 1e-6, `${m.mask}: grad ${k}`);
      }
    });
  });

  it('the reconstruction loss falls on a fixed batch and fixed holes', () => {
    torch.manualSeed(3);
    const m = new ContextEncoder(base({ adversarial: false, mask: 'block' }));
    const task = m.drawTask(x, g(6));
    m.train();
    const opt = new SGD(m.parameterGroups(0), { lr: 0.05, momentum: 0.9 });
    const losses: number[] = [];
    for (let i = 0; i <= 20; i++) {
      torch.scope(() => {
        opt.zeroGrad();
        const { loss } = m.taskLoss(x, task);
        losses.push(loss.item() as number);
        if (i < 20) { loss.backward(); opt.step(); }
      });
    }
    assert.ok(losses[20] < 0.7 * losses[0], `loss ${losses[0]} -> ${losses[20]}`);
  });

  it('options reach where they act', () => {
    torch.manualSeed(0);
    // mask: which holes are drawn.
    const covered = (mask: 'center' | 'block' | 'region'): number => sum(new ContextEncoder(base({ mask })).drawTask(x, g(1)).hole);
    assert.equal(covered('center'), 4 * 6 * 6);
    assert.equal(covered('region'), 4 * 64);
    assert.notEqual(covered('block'), covered('center'));
    // overlap and overlapWeight: the band around the centre hole.
    const band = (o: Partial<ContextEncoderOptions>, images = x): Tensor => new ContextEncoder(base(o)).drawTask(images).weights;
    assert.equal(sum(band({ overlap: 1 }).gt(1)), 4 * (8 * 8 - 6 * 6));
    assert.equal(sum(band({ imageSize: 32, overlap: 2 }, torch.zeros([1, 3, 32, 32]))), 12 * 12 + 10 * (16 * 16 - 12 * 12));
    assert.equal(band({ overlapWeight: 3 }).max().item(), 3);
    // adversarial and adversarialWeight: the discriminator and the joint loss.
    const plain = new ContextEncoder(base({ adversarial: false }));
    assert.ok(![...plain.stateDict().keys()].some((k) => k.startsWith('discriminator.')));
    torch.scope(() => {
      const out = plain.taskLoss(x, plain.drawTask(x));
      assert.equal(out.loss.item(), out.reconstruction.item());
    });
    const adv = new ContextEncoder(base({ adversarialWeight: 0.25 }));
    torch.scope(() => {
      const o = adv.taskLoss(x, adv.drawTask(x));
      const expected = 0.75 * (o.reconstruction.item() as number) + 0.25 * (o.adversarial.item() as number) +
        (o.discriminator.item() as number);
      assert.ok(Math.abs((o.loss.item() as number) - expected) < 1e-5);
    });
    // discriminatorWidth and imageSize: layer sizes.
    assert.equal(new ContextEncoder(base({ discriminatorWidth: 6 })).discriminator!.convs.at(0).weight.shape[0], 6);
    assert.deepEqual(new ContextEncoder(base({ imageSize: 32 })).bottleneck.weight.shape, [16, 64, 64]);
    // The discriminator trains at a tenth of the generator's rate (train.lua).
    const groups = adv.parameterGroups(0);
    assert.equal(groups[groups.length - 1].lrScale, 0.1);
    assert.equal(groups[groups.length - 1].params.length, adv.discriminator!.parameters().length);
  });

  it("imageNormStats: the running statistics are the whole images' (one momentum-0.1 update), not the masked images'", () => {
    const images = torch.scope(() => torch.keep(x.mul(3).add(1))); // the hole's 0 far from the images' mean
    try {
      checkImageNormStats((on) => new ContextEncoder(base({ mask: 'region', imageNormStats: on })), images, 'ContextEncoder');
    } finally {
      images.dispose();
    }
  });

  it('is in the registry, rebuilds from its config and trains under the Trainer', async () => {
    assert.ok(list().includes('context_encoder'));
    const m = new ContextEncoder(base({ mask: 'region', overlap: 1 }));
    const again = create('context_encoder', m.config() as never);
    assert.deepEqual([...again.stateDict().keys()], [...m.stateDict().keys()]);
    assert.deepEqual(again.config(), m.config());
    const data = synthetic({ n: 16, channels: 3, size: SIZE, seed: 0 });
    try {
      const logs: Record<string, number>[] = [];
      await new Trainer(m, { data, batchSize: 8, steps: 2, progress: 'none', logEvery: 1, handleSigint: false,
        onLog: (r) => { if (r.type === 'step') logs.push(r as unknown as Record<string, number>); } }).fit();
      assert.equal(logs.length, 2);
      assert.ok(Number.isFinite(logs[1].loss));
    } finally {
      disposeDataset(data);
    }
  });

  it('refuses a ViT, images of another size, unknown masks and an overlap that empties the hole', () => {
    assert.throws(() => new ContextEncoder({ encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: 16, inChannels: 3 },
      imageSize: 16 }),
      /ContextEncoder needs \(B, D, h, w\) feature maps|ContextEncoder needs a convolutional encoder/);
    const m = new ContextEncoder(base());
    assert.throws(() => m.augmentation({ size: 28, channels: 3, mean: [0, 0, 0], std: [1, 1, 1], dataset: 'photos/train' }),
      /ContextEncoder was built for 3-channel images of 16 x 16 px .* but dataset 'photos\/train' has 3-channel images of 28 x 28 px; build it with imageSize: 28/);
    assert.throws(() => new ContextEncoder(base({ mask: 'circle' as never })), /mask/);
    assert.throws(() => new ContextEncoder(base({ overlap: 2 })), /overlap below imageSize \/ 8/);
    assert.throws(() => new ContextEncoder(base({ adversarialWeight: 2 })), /adversarialWeight/);
    assert.throws(() => new ContextEncoder(base({ masks: 'center' } as never)), /Unknown option\(s\) 'masks'/);
  });
});
