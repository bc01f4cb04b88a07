// The no-grad forwards of the target networks (DINO's teacher, BYOL's target,
// MoCo v2/v3's momentum encoder, DeOldify's feature network on the real
// colours) free their intermediates when they return, as PyTorch frees a
// no_grad forward's temporaries once nothing refers to them: only their
// outputs stay alive through the rest of the step. Without it those
// activations lived until the step's scope ended, through the student's
// forward and backward (docs/bench.md, "DINO's host time").
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Module } from '../../lib/nn/module';
import { VisionTransformer } from '../../lib/models/vit';
import { SmallCnn } from '../../lib/models/small-cnn';
import { Method } from '../../lib/ssl/method';
import { DINO } from '../../lib/ssl/dino';
import { BYOL } from '../../lib/ssl/byol';
import { MoCoV2 } from '../../lib/ssl/moco-v2';
import { MoCoV3 } from '../../lib/ssl/moco-v3';
import { DeOldify } from '../../lib/ssl/deoldify';
import { sinkhornKnopp } from '../../lib/ssl/losses';
import { fixedViews, progress } from './tiny-batch';

/** Wraps `module.forward` to keep every output it returns (in call order). */
function outputsOf(module: Module): Tensor[] {
  const seen: Tensor[] = [];
  const m = module as unknown as { forward: (x: Tensor) => Tensor };
  const forward = m.forward.bind(module);
  m.forward = (x: Tensor): Tensor => {
    const y = forward(x);
    seen.push(y);
    return y;
  };
  return seen;
}

/** Runs one training step in a scope and reports, before the scope ends, which of `watched` were freed. */
function freedAfterStep(method: Method, views: Tensor[], watched: Tensor[]): boolean[] {
  method.train();
  return torch.scope(() => {
    method.trainingStep(views, progress(0, 10));
    return watched.map((t) => t.isDisposed);
  });
}

describe('ssl: the target networks\' no-grad forwards free their intermediates', function () {
  this.timeout(60_000);

  it('DINO: the teacher backbone\'s output (an input of the teacher head) is freed, the student\'s is not', () => {
    torch.manualSeed(0);
    const vit = (): VisionTransformer => new VisionTransformer({ imgSize: 16, patchSize: 8, inChannels: 3, embedDim: 16, depth: 1,
      numHeads: 2, numClasses: 0 });
    const method = new DINO({ encoder: vit, outDim: 32, hiddenDim: 16, bottleneckDim: 8, localCrops: 2, localSize: 8 });
    try {
      const g = new torch.Generator().manualSeed(1);
      const views = [16, 16, 8, 8].map((s) => torch.keep(torch.randn([4, 3, s, s], { generator: g })));
      const teacher = outputsOf(method.teacherEncoder);
      const student = outputsOf(method.encoder);
      const freed = freedAfterStep(method, views, []);
      assert.equal(freed.length, 0);
      assert.deepEqual([teacher.length, student.length], [1, 2], 'one teacher call (2 global crops), one student call per size');
      assert.deepEqual([teacher[0].isDisposed, student.map((t) => t.isDisposed)], [true, [true, true]],
        'all freed once the step scope ended');
      teacher.length = 0;
      student.length = 0;
      method.train();
      const during = torch.scope(() => {
        method.trainingStep(views, progress(0, 10));
        return [teacher[0].isDisposed, student[0].isDisposed];
      });
      assert.deepEqual(during, [true, false]);
      views.forEach((v) => v.dispose());
    } finally {
      method.dispose();
    }
  });

  const cnn = { encoder: 'small_cnn', encoderOptions: { width: 4 } } as const;
  const twoView: [string, () => Method, (m: Method) => Module[]][] = [
    ['BYOL', () => new BYOL({ ...cnn, hiddenDim: 16, outDim: 8 }), (m) => [(m as BYOL).targetEncoder, (m as BYOL).encoder]],
    ['MoCo v2', () => new MoCoV2({ ...cnn, hiddenDim: 16, outDim: 8, queueLength: 32 }),
      (m) => [(m as MoCoV2).momentumEncoder, (m as MoCoV2).encoder]],
    ['MoCo v2 with shuffling BN in 2 groups', () => new MoCoV2({ ...cnn, hiddenDim: 16, outDim: 8, queueLength: 32, bnGroups: 2 }),
      (m) => [(m as MoCoV2).momentumEncoder, (m as MoCoV2).encoder]],
    ['MoCo v3', () => new MoCoV3({ ...cnn, hiddenDim: 16, outDim: 8 }), (m) => [(m as MoCoV3).momentumEncoder, (m as MoCoV3).encoder]],
  ];
  for (const [name, build, nets] of twoView) {
    it(`${name}: the momentum/target encoder's outputs are freed when its forward returns, the online encoder's are not`, () => {
      torch.manualSeed(0);
      const method = build();
      try {
        const views = fixedViews(method).map((v) => torch.keep(v));
        const [target, online] = nets(method).map(outputsOf);
        method.train();
        const [t, o] = torch.scope(() => {
          method.trainingStep(views, progress(0, 10));
          return [target.map((x) => x.isDisposed), online.map((x) => x.isDisposed)];
        });
        assert.ok(target.length >= 2 && online.length >= 2, `${target.length} target and ${online.length} online calls`);
        assert.deepEqual(t, target.map(() => true), 'target outputs freed inside the step');
        assert.deepEqual(o, online.map(() => false), 'online outputs alive until the step scope ends (backward needs them)');
        views.forEach((v) => v.dispose());
      } finally {
        method.dispose();
      }
    });
  }

  it('DeOldify: the feature network\'s maps of the real colours are freed when featureLoss returns, those of the prediction are not', () => {
    torch.manualSeed(1);
    const spec = { size: 8, channels: 3, mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };
    const method = new DeOldify({ encoder: 'small_cnn', encoderOptions: { width: 2 }, criticWidth: 4 });
    try {
      method.augmentation(spec);
      const featureNet = method.featureNet as SmallCnn;
      const firstConv = outputsOf(featureNet.convs[0]);
      const lastConv = outputsOf(featureNet.convs[featureNet.convs.length - 1]);
      const [pred, target] = [0, 1].map((s) => torch.keep(torch.rand([2, 3, 8, 8], { generator: new torch.Generator().manualSeed(s) })));
      const freed = torch.scope(() => {
        method.featureLoss(pred, target);
        return [...firstConv, ...lastConv].map((t) => t.isDisposed);
      });
      // Calls: the prediction first (with gradient), then the target (no gradient).
      assert.deepEqual(freed, [false, true, false, true]);
      [pred, target].forEach((t) => t.dispose());
    } finally {
      method.dispose();
    }
  });

  it('SwAV\'s Sinkhorn-Knopp leaves only its codes alive (each iteration\'s temporaries freed)', () => {
    const scores = torch.keep(torch.randn([6, 5], { generator: new torch.Generator().manualSeed(0) }));
    try {
      const [added, rows] = torch.scope(() => {
        const before = torch.memory().tensors;
        const q = sinkhornKnopp(scores, { iterations: 3 });
        return [torch.memory().tensors - before, q.sum(1).toArray() as number[]];
      });
      assert.equal(added, 1);
      rows.forEach((r) => assert.ok(Math.abs(r - 1) < 1e-5, `row sum ${r}`));
    } finally {
      scores.dispose();
    }
  });
});
