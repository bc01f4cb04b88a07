// DINO's step by value, without Python: the loss of a multi-crop step against
// the paper's formula written out as float64 loops (the teacher sees only the
// 2 global crops, at the scheduled teacher temperature, centred; the student
// every crop), the centre's momentum, the EMA momentum's cosine for two run
// lengths, the local crops' default side, the frozen last layer inside a
// rehearsed CUDA-graph capture, and the step's refusal.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { VisionTransformer } from '../../lib/models/vit';
import { DINO, DINOOptions } from '../../lib/ssl/dino';
import { TrainProgress } from '../../lib/ssl/method';
import { refuses } from '../helpers/refuses';

const B = 3;
const K = 12;
const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2, numClasses: 0 });
const at = (step: number, epoch: number, totalSteps = 40): TrainProgress => ({ step, totalSteps, epoch, stepsPerEpoch: 10 });

function makeDino(options: Partial<DINOOptions> = {}): DINO {
  return new DINO({ encoder: tinyVit, outDim: K, hiddenDim: 16, bottleneckDim: 8, localCrops: 2, ...options });
}

/** 2 global 16 px crops and 2 local 8 px crops of B images, fixed by the seed. */
function crops(seed: number): Tensor[] {
  const g = new torch.Generator().manualSeed(seed);
  return [16, 16, 8, 8].map((s) => torch.randn([B, 3, s, s], { generator: g }));
}

/** Rows of a (N, K) array as numbers. */
function rows(t: Tensor): number[][] {
  const v = values(t);
  return Array.from({ length: v.length / K }, (_, i) => v.slice(i * K, (i + 1) * K));
}

function softmax(x: number[], temp: number): number[] {
  const m = Math.max(...x.map((v) => v / temp));
  const e = x.map((v) => Math.exp(v / temp - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * DINO's loss (Caron et al. 2021, Algorithm 1 and main_dino.py's DINOLoss): for every pair of a teacher crop
 * iq (the 2 global crops) and a student crop v != iq, the batch mean of -sum_k P_t(k) log P_s(k), with
 * P_t = softmax((t - c) / tau_t) and P_s = softmax(s / tau_s); the pairs averaged.
 */
function dinoLossByHand(student: number[][], teacher: number[][], center: number[], tauS: number, tauT: number,
  nCrops: number): number {
  let total = 0;
  let pairs = 0;
  for (let iq = 0; iq < 2; iq++) {
    for (let v = 0; v < nCrops; v++) {
      if (v === iq) continue;
      let sum = 0;
      for (let b = 0; b < B; b++) {
        const q = softmax(teacher[iq * B + b].map((x, k) => x - center[k]), tauT);
        const p = softmax(student[v * B + b], tauS);
        sum -= q.reduce((a, qk, k) => a + qk * Math.log(p[k]), 0);
      }
      total += sum / B;
      pairs++;
    }
  }
  return total / pairs;
}

function near(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

describe('ssl: DINO by value (loss formula, centre, schedules, local size, frozen last layer)', function () {
  this.timeout(60000);

  it('a 4-crop step is the DINO loss by hand: teacher on the 2 global crops at the scheduled temperature, centred', () => {
    torch.manualSeed(11);
    const o = { studentTemp: 0.3, warmupTeacherTemp: 0.05, teacherTemp: 0.08, warmupTeacherTempEpochs: 3, centerMomentum: 0.7 };
    const method = makeDino({ ...o, freezeLastLayer: 0 });
    const cs = crops(1);
    try {
      assert.equal(method.capturable, true);
      // The networks' outputs by hand: the student on every crop (one pass per resolution), the teacher on the globals.
      const { student, teacher } = torch.scope(() => torch.noGrad(() => {
        const g = method.encoder.forward(torch.cat([cs[0], cs[1]], 0));
        const l = method.encoder.forward(torch.cat([cs[2], cs[3]], 0));
        const s = rows(method.head.forward(torch.cat([g, l], 0)));
        const t = rows(method.teacherHead.forward(method.teacherEncoder.forward(torch.cat([cs[0], cs[1]], 0))));
        return { student: s, teacher: t };
      }));
      let center = new Array<number>(K).fill(0);
      // Epoch 1 is in the warm-up (0.05, 0.065, 0.08 over 3 epochs); epoch 7 is past the schedule: 0.08.
      for (const [epoch, tauT] of [[1, 0.065], [7, 0.08]]) {
        const out = torch.scope(() => {
          const r = method.trainingStep(cs, at(0, epoch));
          return { loss: Number(r.loss.item()), temp: Number((r.logs!.teacherTemp as Tensor).item()), embedding: values(r.embedding!) };
        });
        near(out.temp, tauT, `teacher temperature of epoch ${epoch}`, 1e-6);
        near(out.loss, dinoLossByHand(student, teacher, center, 0.3, tauT, 4), `loss of epoch ${epoch}`);
        out.embedding.forEach((v, i) => near(v, student[Math.floor(i / K)][i % K], 'embedding: the first global crop'));
        // The centre moves after the loss: c = m c + (1 - m) mean of the teacher's 2B rows.
        center = center.map((c, k) => 0.7 * c + (0.3 * teacher.reduce((a, row) => a + row[k], 0)) / (2 * B));
        values(method.dinoLoss.center).forEach((c, k) => near(c, center[k], `centre[${k}] after epoch ${epoch}`));
      }
    } finally {
      cs.forEach((c) => c.dispose());
      method.dispose();
    }
  });

  it('refuses fewer than the 2 global crops by its message', () => {
    const method = makeDino();
    try {
      torch.scope(() => refuses(() => method.trainingStep([torch.zeros([B, 3, 16, 16])], at(0, 0)),
        'Expected at least the 2 global crops for DINO but received 1 views'));
      refuses(() => method.trainingStep('x' as never, at(0, 0)), 'Expected at least the 2 global crops for DINO but received x views');
    } finally {
      method.dispose();
    }
  });

  it('the EMA momentum follows the cosine of each run length (a new length rebuilds the schedule)', () => {
    const method = makeDino({ momentumTeacher: 0.9 });
    // main_dino.py's cosine_scheduler(momentum_teacher, 1, epochs, steps): 1 + (base - 1) (1 + cos(pi k / K)) / 2.
    const expected = (k: number, steps: number): number => 1 + (0.5 * (0.9 - 1) * (1 + Math.cos((Math.PI * k) / steps)));
    try {
      for (const [k, steps] of [[5, 100], [5, 10], [5, 100], [3, 10], [3, 10]]) {
        near(method.momentumAt(at(k, 0, steps)), expected(k, steps), `momentum at step ${k} of ${steps}`, 1e-12);
      }
    } finally {
      method.dispose();
    }
  });

  it('local crops: 96/224 of the side rounded to the ViT\'s patch size by default, as given otherwise, the recipe\'s for a CNN', () => {
    const spec = { size: 16, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const sizes = (o: Partial<DINOOptions>): number[][] => {
      const method = makeDino(o);
      try {
        const aug = method.augmentation(spec);
        return aug.groups.map((g) => [...(g.size ?? [])]);
      } finally {
        method.dispose();
      }
    };
    // 16 * 96 / 224 = 6.86 px = 1.71 patches of 4 -> 2 patches = 8 px (the recipe alone would take 7).
    assert.deepEqual(sizes({}), [[16, 16], [8, 8]]);
    assert.deepEqual(sizes({ localSize: 6 }), [[16, 16], [6, 6]]);
    assert.deepEqual(sizes({ encoder: 'small_cnn', encoderOptions: { width: 4 } }), [[16, 16], [7, 7]]);
  });

  /** Sets the head's last-layer gradients to 2 (after a real backward). */
  function lastLayerGrads(method: DINO, cs: Tensor[]): Tensor[] {
    torch.scope(() => method.trainingStep(cs, at(0, 0)).loss.backward());
    const grads = method.head.lastLayer.parameters().map((p) => p.grad).filter((g): g is Tensor => g !== undefined);
    assert.equal(grads.length, 1, 'weight_v only (weight_g is frozen)');
    torch.noGrad(() => grads.forEach((g) => g.mul_(0).add_(2)));
    return grads;
  }
  const allEqual = (t: Tensor, v: number): boolean => values(t).every((x) => x === v);

  it('freezeLastLayer inside a rehearsed capture: the factor prepareStep wrote for that epoch, 0 then 1', () => {
    torch.manualSeed(12);
    const method = makeDino({ freezeLastLayer: 2 });
    const cs = crops(2);
    try {
      const [grad] = lastLayerGrads(method, cs);
      // An eager call in epoch 0 writes the factor 0 on the device ...
      method.beforeOptimizerStep(at(0, 0));
      assert.ok(allEqual(grad, 0), 'epoch 0 zeroes the last layer\'s gradients');
      torch.noGrad(() => grad.add_(2));
      // ... then prepareStep of epoch 2 writes 1, which the captured step reads.
      method.prepareStep(at(20, 2));
      torch.cuda.checkCapturable(() => method.beforeOptimizerStep(at(20, 2)));
      assert.ok(allEqual(grad, 2), 'epoch 2 keeps them (factor 1)');
      method.prepareStep(at(10, 1));
      torch.cuda.checkCapturable(() => method.beforeOptimizerStep(at(10, 1)));
      assert.ok(allEqual(grad, 0), 'epoch 1 (< 2) zeroes them');
    } finally {
      cs.forEach((c) => c.dispose());
      method.dispose();
    }
  });

  it('freezeLastLayer 0: no factor is written or read, even inside a capture', () => {
    torch.manualSeed(13);
    const frozen = makeDino({ freezeLastLayer: 1 });
    const free = makeDino({ freezeLastLayer: 0 });
    const cs = crops(3);
    try {
      // prepareStep writes one device scalar per value: momentum, teacherTemp (and lastLayerScale when frozen).
      const written = (m: DINO): number => {
        const before = torch.memory().tensors;
        m.prepareStep(at(0, 0));
        return torch.memory().tensors - before;
      };
      const withFactor = written(frozen);
      const without = written(free);
      assert.equal(withFactor * 2, without * 3, `${withFactor} scalars written with the factor, ${without} without`);
      const [grad] = lastLayerGrads(free, cs);
      free.prepareStep(at(0, 0));
      torch.cuda.checkCapturable(() => free.beforeOptimizerStep(at(0, 0)));
      assert.ok(allEqual(grad, 2), 'the gradients are untouched');
    } finally {
      cs.forEach((c) => c.dispose());
      frozen.dispose();
      free.dispose();
    }
  });
});
