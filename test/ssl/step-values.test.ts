// The per-step values a captured CUDA-graph step reads (the EMA momentum, the
// teacher temperature) are the ones `prepareStep` wrote for that step, not
// what an earlier eager step left on the device: a replay runs no
// JavaScript, so the step must read the same device scalar prepareStep
// writes. Rehearsed on the CPU with torch.cuda.checkCapturable (the capture
// rules on: a step value is read, not written). The expected momenta are the
// papers' cosine schedules, written out here.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { VisionTransformer } from '../../lib/models/vit';
import { DINO } from '../../lib/ssl/dino';
import { BYOL } from '../../lib/ssl/byol';
import { TrainProgress } from '../../lib/ssl/method';

const progress = (step: number, totalSteps: number, epoch = 0): TrainProgress => ({ step, totalSteps, epoch, stepsPerEpoch: totalSteps });
const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 1, numHeads: 2, numClasses: 0 });

/** BYOL (Grill et al. 2020, sec. 3.2): tau = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2, K = the last step's index. */
const byolMomentum = (base: number, k: number, steps: number): number => 1 - ((1 - base) * (Math.cos((Math.PI * k) / (steps - 1)) + 1)) / 2;
/** DINO (main_dino.py's cosine_scheduler from momentum_teacher to 1 over every iteration). */
const dinoMomentum = (base: number, k: number, steps: number): number => 1 + 0.5 * (base - 1) * (1 + Math.cos((Math.PI * k) / steps));

/**
 * An eager update at step 0 (which writes the device scalar), then the online
 * weights move by +1, prepareStep(step k) and a rehearsed capture of the
 * update: the target must be m_k * target + (1 - m_k) * online.
 */
function capturedEma(online: Tensor, target: Tensor, prepare: () => void, update: () => void, m: number): void {
  torch.noGrad(() => online.add_(1));
  const t0 = values(target);
  const o = values(online);
  prepare();
  torch.cuda.checkCapturable(update);
  const got = values(target);
  t0.forEach((t, i) => {
    const expected = m * t + (1 - m) * o[i];
    assert.ok(Math.abs(got[i] - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `[${i}]: ${got[i]} != ${expected} (m ${m})`);
  });
}

describe('ssl: a captured step reads the values prepareStep wrote', function () {
  this.timeout(60000);

  it('BYOL: the captured EMA update uses step k\'s momentum, not the last eager step\'s', () => {
    torch.manualSeed(2);
    const byol = new BYOL({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 16, outDim: 8,
      momentumBase: 0.8 });
    byol.afterOptimizerStep(progress(0, 10));
    const m = byolMomentum(0.8, 5, 10);
    assert.ok(Math.abs(m - 0.8) > 0.05, 'step 5 and step 0 must differ for this test to tell them apart');
    capturedEma(byol.encoder.parameters()[0], byol.targetEncoder.parameters()[0],
      () => byol.prepareStep(progress(5, 10)), () => byol.afterOptimizerStep(progress(5, 10)), m);
    byol.dispose();
  });

  it('DINO: the captured teacher update and the step\'s logged momentum and teacher temperature are step k\'s', () => {
    torch.manualSeed(3);
    const dino = new DINO({ encoder: tinyVit, outDim: 24, hiddenDim: 16, bottleneckDim: 8, localCrops: 0, momentumTeacher: 0.9,
      epochs: 4, warmupTeacherTemp: 0.02, teacherTemp: 0.06, warmupTeacherTempEpochs: 2 });
    dino.train();
    const crops = [torch.randn([2, 3, 16, 16]), torch.randn([2, 3, 16, 16])];
    // An eager step and update at step 0 write the device scalars.
    torch.scope(() => dino.trainingStep(crops, progress(0, 8)));
    dino.afterOptimizerStep(progress(0, 8));
    // Step 6 is in epoch 3 (2 steps an epoch), after the teacher temperature's warm-up (0.02 -> 0.06 over 2 epochs).
    const at6 = { step: 6, totalSteps: 8, epoch: 3, stepsPerEpoch: 2 };
    dino.prepareStep(at6);
    const logs = torch.cuda.checkCapturable(() => torch.scope(() => {
      const out = dino.trainingStep(crops, at6);
      return { momentum: torch.keep(out.logs!.momentum as Tensor), teacherTemp: torch.keep(out.logs!.teacherTemp as Tensor) };
    }));
    const m = dinoMomentum(0.9, 6, 8);
    assert.ok(Math.abs(Number(logs.momentum.item()) - m) < 1e-6, `logged momentum ${Number(logs.momentum.item())} != ${m}`);
    assert.ok(Math.abs(Number(logs.teacherTemp.item()) - 0.06) < 1e-6, `logged teacher temperature ${Number(logs.teacherTemp.item())}`);
    logs.momentum.dispose();
    logs.teacherTemp.dispose();
    capturedEma(dino.encoder.parameters()[0], dino.teacherEncoder.parameters()[0], () => dino.prepareStep(at6),
      () => dino.afterOptimizerStep(at6), m);
    dino.dispose();
  });
});
