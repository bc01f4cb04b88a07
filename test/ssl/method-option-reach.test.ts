// Method options that earlier tests only exercised at their defaults reach
// where they act, by value: the method's loss equals its loss function (or its
// EMA equals the formula) with the option's non-default value, and differs
// from what the default would give, so an option dropped on the way fails.
// Audit of the registry (issue 21): Barlow Twins' lambda, VICReg's weights,
// MoCo v2/v3, SwAV, DeepCluster v2 and SimSiam's options are checked by value
// in two-view-methods.test.ts and clustering-methods.test.ts; the pretext
// tasks' in test/ssl/pretext; what was left is here.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { VisionTransformer } from '../../lib/models/vit';
import { SimCLR } from '../../lib/ssl/simclr';
import { MAE, MAEOptions, initMaeEncoder } from '../../lib/ssl/mae';
import { DINO } from '../../lib/ssl/dino';
import { BYOL } from '../../lib/ssl/byol';
import { DINOLoss } from '../../lib/ssl/losses/dino-loss';
import { ntXent } from '../../lib/ssl/losses';
import { maeLoss } from '../../lib/ssl/losses/mae-loss';
import { TrainProgress } from '../../lib/ssl/method';

const progress = (step = 0, totalSteps = 10, epoch = 0): TrainProgress => ({ step, totalSteps, epoch, stepsPerEpoch: 10 });
const num = (t: Tensor): number => Number(t.item());
const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);

function assertNear(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 1, numHeads: 2, numClasses: 0 });

/** Random (B, C, H, W) images fixed by `seed`. */
function images(seed: number, shape: number[]): Tensor {
  return torch.randn(shape, { generator: new torch.Generator().manualSeed(seed) });
}

describe('ssl: method options reach their losses and updates (by value)', function () {
  this.timeout(60000);

  it('SimCLR temperature: the loss is NT-Xent at that temperature', () => {
    torch.manualSeed(1);
    const method = new SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 16, outDim: 8,
      temperature: 0.2 });
    method.train();
    torch.scope(() => {
      const [x1, x2] = [images(1, [6, 1, 8, 8]), images(2, [6, 1, 8, 8])];
      const loss = num(method.trainingStep([x1, x2], progress()).loss);
      const [z1, z2] = method.projectionHead.forward(method.encoder.forward(torch.cat([x1, x2], 0))).chunk(2, 0);
      assertNear(loss, num(ntXent(z1, z2, { temperature: 0.2 })), 'temperature 0.2');
      assert.ok(Math.abs(loss - num(ntXent(z1, z2, { temperature: 0.5 }))) > 1e-3, 'the default would give the same loss');
    });
    method.dispose();
  });

  /** MAE's loss as the method computes it, replayed from the same seed with explicit options. */
  function maeCase(options: Partial<MAEOptions>, check: { maskRatio: number; normPixLoss: boolean }): void {
    torch.manualSeed(3);
    const method = new MAE({ encoder: tinyVit(), decoderDim: 16, decoderDepth: 1, decoderHeads: 2, ...options });
    method.train();
    torch.scope(() => {
      // Pixels far from per-patch zero mean and unit variance, so that normalised targets differ from raw ones.
      const x = images(4, [4, 3, 16, 16]).mul(3).add(2);
      torch.manualSeed(11);
      const loss = num(method.trainingStep([x], progress()).loss);
      // The same masks (same seed), the options given explicitly.
      const replay = (maskRatio: number, normPixLoss: boolean): number => {
        torch.manualSeed(11);
        const { pred, mask } = method.forwardMasked(x, { maskRatio });
        assert.equal(num(mask.sum()), 4 * 16 * maskRatio, 'patches removed');
        return num(maeLoss(x, pred, mask, { patchSize: 4, normPixLoss }));
      };
      assertNear(loss, replay(check.maskRatio, check.normPixLoss), JSON.stringify(check));
      assert.ok(Math.abs(loss - replay(check.maskRatio, !check.normPixLoss)) > 1e-3, 'normPixLoss makes no difference here');
      if (check.maskRatio !== 0.75) assert.ok(Math.abs(loss - replay(0.75, check.normPixLoss)) > 1e-4, 'maskRatio makes no difference');
    });
    method.dispose();
  }

  it('MAE normPixLoss false: the loss regresses raw pixels', () => {
    maeCase({ normPixLoss: false }, { maskRatio: 0.75, normPixLoss: false });
    maeCase({}, { maskRatio: 0.75, normPixLoss: true });
  });

  it('MAE maskRatio: the step removes that fraction of the patches', () => {
    maeCase({ maskRatio: 0.5 }, { maskRatio: 0.5, normPixLoss: true });
    maeCase({ maskRatio: 0.25, normPixLoss: false }, { maskRatio: 0.25, normPixLoss: false });
  });

  it('MAE initEncoder false keeps the encoder\'s weights (and its learned position embedding)', () => {
    torch.manualSeed(5);
    const vit = tinyVit();
    const before = values(vit.posEmbed);
    const qkv = values(vit.stateDict().get('blocks.0.attn.qkv.weight')!);
    const kept = new MAE({ encoder: vit, decoderDim: 16, decoderDepth: 1, decoderHeads: 2, initEncoder: false });
    assert.deepEqual(values(kept.encoder.posEmbed), before);
    assert.deepEqual(values(kept.encoder.stateDict().get('blocks.0.attn.qkv.weight')!), qkv);
    assert.equal(kept.encoder.posEmbed.requiresGrad, true);
    const reference = tinyVit();
    initMaeEncoder(reference);
    const init = new MAE({ encoder: tinyVit(), decoderDim: 16, decoderDepth: 1, decoderHeads: 2 });
    assert.deepEqual(values(init.encoder.posEmbed), values(reference.posEmbed), 'sin-cos position embedding');
    assert.equal(init.encoder.posEmbed.requiresGrad, false);
    for (const m of [kept, init, reference]) m.dispose();
  });

  it('DINO studentTemp, teacherTemp and centerMomentum: two steps equal DINOLoss with those values', () => {
    torch.manualSeed(7);
    const o = { studentTemp: 0.2, teacherTemp: 0.06, warmupTeacherTemp: 0.06, centerMomentum: 0.5 };
    const method = new DINO({ encoder: tinyVit, outDim: 24, hiddenDim: 16, bottleneckDim: 8, localCrops: 0, ...o });
    const reference = new DINOLoss({ outDim: 24, epochs: 1, ...o });
    const defaults = new DINOLoss({ outDim: 24, epochs: 1 });
    method.train();
    torch.scope(() => {
      const crops = [images(8, [4, 3, 16, 16]), images(9, [4, 3, 16, 16])];
      for (let s = 0; s < 2; s++) {
        const loss = num(method.trainingStep(crops, progress(s)).loss);
        const { expected, withDefaults } = torch.noGrad(() => {
          const x = torch.cat(crops, 0);
          const student = method.head.forward(method.encoder.forward(x));
          const teacher = method.teacherHead.forward(method.teacherEncoder.forward(x));
          return { expected: num(reference.forward(student, teacher, 0)), withDefaults: num(defaults.forward(student, teacher, 0)) };
        });
        assertNear(loss, expected, `step ${s}`);
        assert.ok(Math.abs(loss - withDefaults) > 1e-4, `step ${s}: the defaults give the same loss`);
      }
      // The centre moved with momentum 0.5 (the defaults' 0.9 would leave it elsewhere).
      assert.deepEqual(values(method.dinoLoss.center).map((v) => v.toFixed(6)), values(reference.center).map((v) => v.toFixed(6)));
    });
    for (const m of [method, reference, defaults]) m.dispose();
  });

  /** After the online network moves by +1, one EMA update at step 0 puts the target at m * t + (1 - m) * (t + 1). */
  function emaCase(online: Tensor, target: Tensor, update: () => void, m: number): void {
    torch.noGrad(() => online.add_(1));
    const t0 = values(target);
    update();
    const got = values(target);
    t0.forEach((t, i) => assertNear(got[i], m * t + (1 - m) * (values(online)[i]), `EMA ${m} [${i}]`, 1e-5));
  }

  it('DINO momentumTeacher and BYOL momentumBase: the first EMA update uses them', () => {
    torch.manualSeed(8);
    const dino = new DINO({ encoder: tinyVit, outDim: 24, hiddenDim: 16, bottleneckDim: 8, localCrops: 0, momentumTeacher: 0.9 });
    assert.equal(dino.momentumAt(progress(0, 10)), 0.9);
    emaCase(dino.encoder.parameters()[0], dino.teacherEncoder.parameters()[0], () => dino.afterOptimizerStep(progress(0, 10)), 0.9);
    const byol = new BYOL({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 16, outDim: 8,
      momentumBase: 0.8 });
    emaCase(byol.encoder.parameters()[0], byol.targetEncoder.parameters()[0], () => byol.afterOptimizerStep(progress(0, 10)), 0.8);
    emaCase(byol.projectionHead.parameters()[0], byol.targetProjectionHead.parameters()[0],
      () => byol.afterOptimizerStep(progress(0, 10)), 0.8);
    dino.dispose();
    byol.dispose();
  });
});
