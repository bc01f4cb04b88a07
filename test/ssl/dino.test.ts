// DINO: the head against facebookresearch/dino's DINOHead in python3-torch,
// the method's keys, teacher, EMA, frozen last layer, centre, multi-crop with
// a ViT and a ResNet, a few steps lowering the loss, and a flat tensor count.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { VisionTransformer } from '../../lib/models/vit';
import { ResNet } from '../../lib/models/resnet';
import { basicBlock } from '../../lib/models/resnet-blocks';
import { AdamW } from '../../lib/optim/adamw';
import { DINOHead } from '../../lib/ssl/heads/dino-head';
import { DINO, DINOOptions } from '../../lib/ssl/dino';
import { TrainProgress } from '../../lib/ssl/method';
import { runDinoMaeRef } from '../helpers/dino-mae-ref';

type Tensor = torch.Tensor;

/** The values of a tensor as a flat array of numbers. */
const flat = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);

const B = 4;
const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 1, numHeads: 2, numClasses: 0 });
const tinyResNet = (): ResNet => new ResNet(basicBlock, [1, 1, 1, 1], { numClasses: 0 });

function makeDino(options: Partial<DINOOptions> = {}): DINO {
  return new DINO({ encoder: tinyVit, outDim: 64, hiddenDim: 32, bottleneckDim: 16, localCrops: 2, ...options });
}

/** 2 global 16 px crops and 2 local 8 px crops of B images, fixed by the seed. */
function fixedCrops(seed = 0): Tensor[] {
  const g = new torch.Generator().manualSeed(seed);
  return [16, 16, 8, 8].map((s) => torch.keep(torch.randn([B, 3, s, s], { generator: g })));
}

const at = (step: number, epoch: number, totalSteps = 100): TrainProgress => ({ step, totalSteps, epoch, stepsPerEpoch: 10 });

/** One step as the Trainer takes it; returns the loss. `between` runs after backward, before the optimizer hooks. */
function step(method: DINO, opt: AdamW, crops: Tensor[], p: TrainProgress, between?: () => void): number {
  return torch.scope(() => {
    opt.zeroGrad();
    const { loss } = method.trainingStep(crops, p);
    loss.backward();
    between?.();
    method.beforeOptimizerStep(p);
    opt.step();
    method.afterOptimizerStep(p);
    return loss.item() as number;
  });
}

const maxAbs = (t: Tensor): number => t.abs().max().item() as number;

describe('ssl: DINOHead', function () {
  this.timeout(60000);

  it('has DINO keys, shapes and a frozen weight_g filled with 1', () => {
    const head = new DINOHead(384, { outDim: 1000 });
    try {
      const sd = head.stateDict();
      assert.deepEqual([...sd.keys()], ['mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias', 'mlp.4.weight',
        'mlp.4.bias', 'last_layer.weight_g', 'last_layer.weight_v']);
      assert.deepEqual(sd.get('mlp.0.weight')!.shape, [2048, 384]);
      assert.deepEqual(sd.get('mlp.2.weight')!.shape, [2048, 2048]);
      assert.deepEqual(sd.get('mlp.4.weight')!.shape, [256, 2048]);
      assert.deepEqual(sd.get('last_layer.weight_g')!.shape, [1000, 1]);
      assert.deepEqual(sd.get('last_layer.weight_v')!.shape, [1000, 256]);
      assert.equal(head.lastLayer.weight_g.requiresGrad, false);
      assert.equal(head.lastLayer.weight_v.requiresGrad, true);
      assert.deepEqual([...new Set(flat(head.lastLayer.weight_g))], [1]);
      assert.equal(maxAbs(head.mlp.stateDict().get('0.bias')!), 0);
      const std = head.mlp.stateDict().get('0.weight')!.std().item() as number;
      assert.ok(Math.abs(std - 0.02) < 0.001, `mlp.0.weight std ${std}`);
      // DINOHead(384, 1000): 384*2048 + 2048 + 2048^2 + 2048 + 2048*256 + 256 + 1000 + 1000*256
      assert.equal(head.numParameters(), 5_766_376);
      assert.equal(new DINOHead(8, { outDim: 4, normLastLayer: false }).lastLayer.weight_g.requiresGrad, true);
    } finally {
      head.dispose();
    }
  });

  it("matches facebookresearch/dino's DINOHead (same seed: weights, output, grads)", () => {
    const job = { seed: 7, inDim: 12, outDim: 20, hiddenDim: 24, bottleneckDim: 8, nlayers: 3, normLastLayer: true,
      x: Array.from({ length: 5 }, (_, i) => Array.from({ length: 12 }, (_, j) => Math.sin(i * 12 + j))),
      r: Array.from({ length: 5 }, (_, i) => Array.from({ length: 20 }, (_, j) => Math.cos(i * 20 + j))) };
    const ref = runDinoMaeRef<{ dinoHead: { keys: string[]; state: Record<string, number[]>; out: number[];
      requiresGrad: Record<string, boolean>; grads: Record<string, number[]> } }>({ dinoHead: job }).dinoHead;
    torch.manualSeed(job.seed);
    const head = new DINOHead(job.inDim, { outDim: job.outDim, hiddenDim: job.hiddenDim, bottleneckDim: job.bottleneckDim });
    try {
      const sd = head.stateDict();
      assert.deepEqual([...sd.keys()], ref.keys);
      const close = (got: number[], want: number[], tol: number, what: string): void => {
        assert.equal(got.length, want.length, what);
        const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
        assert.ok(worst <= tol, `${what}: max |diff| ${worst}`);
      };
      for (const k of ref.keys) close(flat(sd.get(k)!), ref.state[k], 1e-6, k);
      for (const [k, p] of head.namedParameters()) assert.equal(p.requiresGrad, ref.requiresGrad[k], `${k}.requiresGrad`);
      torch.scope(() => {
        const out = head.forward(torch.tensor(job.x));
        close(flat(out), ref.out, 1e-5, 'output');
        out.mul(torch.tensor(job.r)).sum().backward();
      });
      for (const [k, p] of head.namedParameters()) {
        if (ref.grads[k] === undefined) assert.equal(p.grad, undefined, `${k} has no grad`);
        else close(flat(p.grad!), ref.grads[k], 1e-5, `${k}.grad`);
      }
    } finally {
      head.dispose();
    }
  });
});

describe('ssl: DINO', function () {
  this.timeout(60000);

  it("has the student as encoder.*/head.*, the teacher as teacher_*.*, the centre as dino_loss.center", () => {
    torch.manualSeed(0);
    const method = makeDino();
    try {
      const keys = [...method.stateDict().keys()];
      const prefixes = [...new Set(keys.map((k) => k.split('.')[0]))];
      assert.deepEqual(prefixes, ['encoder', 'head', 'teacher_encoder', 'teacher_head', 'dino_loss']);
      assert.ok(keys.includes('encoder.pos_embed') && keys.includes('head.last_layer.weight_v'));
      assert.ok(keys.includes('teacher_head.last_layer.weight_g'));
      assert.equal(keys.at(-1), 'dino_loss.center');
      assert.deepEqual(method.dinoLoss.center.shape, [1, 64]);
      assert.equal(method.name, 'dino');
      // teacher starts as a frozen copy of the student
      const sd = method.stateDict();
      for (const k of keys.filter((k) => k.startsWith('encoder.') || k.startsWith('head.'))) {
        assert.equal(maxAbs(sd.get(k)!.sub(sd.get(`teacher_${k}`)!)), 0, k);
      }
      assert.ok(method.teacherEncoder.parameters().every((p) => !p.requiresGrad));
      assert.ok(method.teacherHead.parameters().every((p) => !p.requiresGrad));
      // only the student trains (weight_g is frozen by normLastLayer)
      const groups = method.parameterGroups(0.04);
      const trained = groups.reduce((n, g) => n + g.params.length, 0);
      assert.equal(trained, method.encoder.parameters().length + method.head.parameters().length - 1);
      assert.deepEqual(method.recipe, { optimizer: 'adamw', lr: 0.0005, lrScaling: 'linear', finalLrRatio: 0.002,
        weightDecay: 0.04, weightDecayEnd: 0.4, warmupEpochs: 10, clipGrad: 3 });
      assert.equal(JSON.parse(JSON.stringify(method.config())).encoder, 'custom');
      assert.throws(() => makeDino({ outdim: 8 } as Partial<DINOOptions>), /Unknown option\(s\) 'outdim' for DINO/);
    } finally {
      method.dispose();
    }
  });

  it('follows the teacher-temperature warm-up and the momentum cosine; takes recipe overrides', () => {
    const method = makeDino({ warmupTeacherTemp: 0.04, teacherTemp: 0.07, warmupTeacherTempEpochs: 3, epochs: 10,
      recipe: { lr: 0.001 } });
    const crops = fixedCrops();
    try {
      const temps = [0, 1, 2, 5].map((epoch) => torch.scope(() => method.trainingStep(crops, at(0, epoch)).logs!.teacherTemp));
      // The logged values are device scalars (float32), eager steps too (issue 15 part 5).
      assert.deepEqual(temps.map((t) => Number((t as Tensor).item()).toFixed(3)), ['0.040', '0.055', '0.070', '0.070']);
      assert.equal(method.momentumAt(at(0, 0, 100)), 0.996);
      assert.ok(Math.abs(method.momentumAt(at(50, 0, 100)) - 0.998) < 1e-12);
      assert.equal(method.recipe.lr, 0.001);
      assert.equal(method.recipe.clipGrad, 3);
    } finally {
      crops.forEach((c) => c.dispose());
      method.dispose();
    }
  });

  it('rejects an encoder instance (a teacher needs a second network)', () => {
    assert.throws(() => new DINO({ encoder: tinyVit() as unknown as string }), /DINO needs two copies of the encoder/);
  });

  it('teacher gets no grads; last layer grads are zero in epoch 0 only; EMA is exact; centre moves', () => {
    torch.manualSeed(1);
    const method = makeDino();
    const crops = fixedCrops();
    const opt = new AdamW(method.parameterGroups(0.04), { lr: 1e-3 });
    try {
      const lastV = method.head.lastLayer.weight_v;
      const center0 = flat(method.dinoLoss.center);
      // epoch 0: the last layer is frozen
      step(method, opt, crops, at(0, 0), () => {
        for (const p of [...method.teacherEncoder.parameters(), ...method.teacherHead.parameters()]) {
          assert.equal(p.grad, undefined, 'a teacher parameter has a grad');
        }
        assert.ok(maxAbs(lastV.grad!) > 0, 'last layer grad before cancelling');
      });
      assert.equal(maxAbs(lastV.grad!), 0, 'last layer grad after beforeOptimizerStep in epoch 0');
      assert.ok(maxAbs(method.head.mlp.parameters()[0].grad!) > 0, 'the MLP still learns in epoch 0');
      assert.notDeepEqual(flat(method.dinoLoss.center), center0, 'the centre moved');
      assert.ok(flat(method.dinoLoss.center).every(Number.isFinite));

      // epoch 1: the last layer learns; the teacher follows by EMA, exactly
      const p = at(37, 1);
      const m = method.momentumAt(p);
      assert.ok(m > 0.996 && m < 1, `momentum ${m}`);
      const pairs = () => [...method.teacherEncoder.namedParameters(), ...[...method.teacherHead.namedParameters()]
        .map(([k, v]) => [`head.${k}`, v] as [string, Tensor])];
      let before: Map<string, number[]> = new Map();
      const loss = torch.scope(() => {
        opt.zeroGrad();
        const out = method.trainingStep(crops, p);
        assert.equal((out.logs!.teacherTemp as Tensor).item(), Math.fround(0.04));
        assert.equal((out.logs!.momentum as Tensor).item(), Math.fround(m));
        assert.deepEqual(out.embedding!.shape, [B, 64]);
        out.loss.backward();
        method.beforeOptimizerStep(p);
        assert.ok(maxAbs(lastV.grad!) > 0, 'last layer grad in epoch 1');
        opt.step();
        before = new Map(pairs().map(([k, t]) => [k, flat(t)]));
        method.afterOptimizerStep(p);
        return out.loss.item() as number;
      });
      assert.ok(Number.isFinite(loss));
      const student = new Map([...method.encoder.namedParameters(),
        ...[...method.head.namedParameters()].map(([k, v]) => [`head.${k}`, v] as [string, Tensor])]);
      let worst = 0;
      for (const [k, t] of pairs()) {
        const s = flat(student.get(k)!);
        const old = before.get(k)!;
        flat(t).forEach((v, i) => { worst = Math.max(worst, Math.abs(v - (m * old[i] + (1 - m) * s[i]))); });
      }
      assert.ok(worst < 1e-6, `EMA max |diff| ${worst}`);
    } finally {
      crops.forEach((c) => c.dispose());
      method.dispose();
    }
  });

  it('a few AdamW steps on a fixed batch lower the loss with a flat live-tensor count', () => {
    torch.manualSeed(2);
    // NOTE: centre momentum 0.99 instead of 0.9: on one fixed batch the centre
    // soon equals the teacher's mean output, and centring it away changes the
    // target every step (with 0.9 the loss falls from 1.05 to 0.70 in 5 steps,
    // then climbs). The centre's own update is tested above.
    const method = makeDino({ freezeLastLayer: 0, centerMomentum: 0.99 });
    const crops = fixedCrops(3);
    const opt = new AdamW(method.parameterGroups(0.04), { lr: 1e-3 });
    try {
      const losses: number[] = [];
      const live: number[] = [];
      for (let i = 0; i < 10; i++) {
        losses.push(step(method, opt, crops, at(i, 0, 10)));
        live.push(torch.memory().tensors);
      }
      assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      const shown = losses.map((l) => l.toFixed(4)).join(' ');
      assert.ok(losses.at(-1)! < 0.5 * losses[0], `losses did not fall by half: ${shown}`);
      for (let i = 6; i < 10; i++) assert.ok(losses[i] < losses[i - 1], `loss rose at step ${i}: ${shown}`);
      assert.deepEqual(live.slice(2), new Array(live.length - 2).fill(live[2]), `live tensors ${live}`);
    } finally {
      crops.forEach((c) => c.dispose());
      method.dispose();
    }
  });

  it('runs multi-crop of two resolutions through a ViT (interpolated pos-embed) and a ResNet', () => {
    for (const encoder of [tinyVit, tinyResNet]) {
      torch.manualSeed(4);
      const method = makeDino({ encoder });
      const crops = fixedCrops(5);
      try {
        torch.scope(() => {
          const { loss } = method.trainingStep(crops, at(0, 0));
          assert.deepEqual(loss.shape, []);
          assert.ok(Number.isFinite(loss.item() as number));
          loss.backward();
          assert.ok(method.encoder.parameters().every((p) => p.grad !== undefined), 'every student weight has a grad');
        });
      } finally {
        crops.forEach((c) => c.dispose());
        method.dispose();
      }
    }
  });

  it("builds DINO's multi-crop augmentation with local crops a multiple of the patch size", () => {
    const method = makeDino({ localCrops: 3 });
    try {
      const aug = method.augmentation({ size: 28, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
      assert.equal(aug.numViews, 5);
      assert.deepEqual(aug.groups.map((g) => g.size), [[28, 28], [12, 12]]);
      const views = torch.scope(() => aug.forward(torch.rand([2, 3, 28, 28]), new torch.Generator().manualSeed(0))
        .map((v) => torch.keep(v)));
      assert.deepEqual(views.map((v) => v.shape[2]), [28, 28, 12, 12, 12]);
      views.forEach((v) => v.dispose());
    } finally {
      method.dispose();
    }
  });
});
