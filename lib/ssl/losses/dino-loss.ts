// DINO's self-distillation loss: the student's distribution over outDim
// prototypes matches the centred, sharpened distribution of the EMA teacher,
// across every pair of different crops.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { Module } from '../../nn/module';
import { logSoftmax, softmax } from '../../nn/functional';
import { checkInt, checkTensor } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL, REQUIRED } from '../../torch/option-table';
import { atLeastFloat32 } from './precision';
import { gatherFromRanks } from './gather';

/** `DINOLoss`'s options: defaults (main_dino.py's) and checks. DINO's own options take theirs from here. */
export const DINO_LOSS_OPTIONS = defineOptions({
  /** Output dimension K of the DINO head (main_dino.py: 65536). Required. */
  outDim: option(REQUIRED, is.int(1)),
  /** Epochs of the whole run: the length of the teacher-temperature schedule. Required. */
  epochs: option(REQUIRED, is.int(1)),
  /** Teacher temperature at epoch 0 when warming up. Default 0.04 (main_dino.py). */
  warmupTeacherTemp: option(0.04, is.positive),
  /**
   * Teacher temperature after the warm-up. Default 0.04 (main_dino.py: "Starting
   * with the default value of 0.04 works well in most cases. Try decreasing
   * it if the training loss does not decrease"; values above 0.07 are unstable).
   */
  teacherTemp: option(0.04, is.positive),
  /** Epochs of linear warm-up from `warmupTeacherTemp` to `teacherTemp`. Default 0 (the paper warms 0.04 -> 0.07 over 30). */
  warmupTeacherTempEpochs: option(0, is.int(0)),
  /** Student temperature tau_s. Default 0.1 (Caron et al. 2021: "tau_s = 0.1"). */
  studentTemp: option(0.1, is.positive),
  /** Momentum m of the teacher centre, "c <- m c + (1 - m) mean(g_theta_t(x))". Default 0.9 (DINO table 9). */
  centerMomentum: option(0.9, is.number(0, 1)),
  /** Number of student crops (2 global + local ones); inferred from the shapes when omitted. */
  nCrops: option(OPTIONAL, is.int(2)),
});

/** Options of {@link DINOLoss} (`DINO_LOSS_OPTIONS`): `outDim` and `epochs` are required. */
export type DINOLossOptions = GivenOptions<typeof DINO_LOSS_OPTIONS.specs> & { outDim: number; epochs: number };

/**
 * DINO's loss (Caron et al. 2021, Algorithm 1; main_dino.py's `DINOLoss`):
 * for every pair of a teacher global crop q and a different student crop v,
 * `H(P_t(q), P_s(v)) = -sum softmax((t_q - c) / tau_t) * log_softmax(s_v / tau_s)`,
 * averaged over the batch and over the 2 * nCrops - 2 pairs. After the loss
 * the centre c (a persistent buffer of shape (1, outDim), saved in
 * checkpoints) moves towards the batch mean of the teacher's outputs. The
 * teacher temperature follows main_dino.py's schedule: a linear warm-up from
 * `warmupTeacherTemp` over `warmupTeacherTempEpochs`, then `teacherTemp`.
 *
 * @example
 * const dino = new DINOLoss({ outDim: 65536, epochs: 100, warmupTeacherTemp: 0.04, teacherTemp: 0.07,
 *   warmupTeacherTempEpochs: 30 });
 * const s = studentHead.forward(studentCrops);    // (nCrops * B, K): 2 global crops, then the local ones
 * const t = teacherHead.forward(globalCrops);     // (2 * B, K)
 * const loss = dino.forward(s, t, progress.epoch); // also updates dino.center
 */
export class DINOLoss extends Module {
  /** The running centre of the teacher's outputs, (1, outDim) float32. */
  readonly center: Tensor;
  readonly outDim: number;
  readonly epochs: number;
  readonly studentTemp: number;
  readonly centerMomentum: number;
  readonly nCrops: number | undefined;
  private readonly schedule: number[];

  constructor(options: DINOLossOptions) {
    super();
    const o = DINO_LOSS_OPTIONS.resolveKnown(options, 'DINOLoss', (k) => k);
    this.outDim = o.outDim;
    this.epochs = o.epochs;
    const { warmupTeacherTemp: warmupTemp, teacherTemp, warmupTeacherTempEpochs: warmupEpochs } = o;
    if (warmupEpochs > this.epochs) {
      throw new RangeError(`Expected warmupTeacherTempEpochs <= epochs (${this.epochs}) but received ${warmupEpochs}`);
    }
    this.studentTemp = o.studentTemp;
    this.centerMomentum = o.centerMomentum;
    this.nCrops = o.nCrops;
    this.schedule = [...linspace(warmupTemp, teacherTemp, warmupEpochs),
      ...new Array<number>(this.epochs - warmupEpochs).fill(teacherTemp)];
    this.center = this.registerBuffer('center', torch.zeros([1, this.outDim]));
  }

  /**
   * The teacher temperature of `epoch` (0-based): main_dino.py's
   * `teacher_temp_schedule[epoch]`. Epochs past the schedule keep its last value.
   * @example new DINOLoss({ outDim: 8, epochs: 10, warmupTeacherTemp: 0.04, teacherTemp: 0.07, warmupTeacherTempEpochs: 4 }).teacherTempAt(2); // 0.06
   */
  teacherTempAt(epoch: number): number {
    checkInt(epoch, 'epoch', 0);
    return this.schedule[Math.min(epoch, this.schedule.length - 1)];
  }

  /**
   * The loss of one step, then the centre update (under no-grad, after the
   * loss has been computed with the previous centre, as main_dino.py).
   *
   * @param studentOutput (nCrops * B, outDim) student head outputs, crop-major: the 2 global crops first, then the local ones.
   * @param teacherOutput (2 * B, outDim) teacher head outputs of the 2 global crops, in the same order; receives no gradient.
   * @param epoch the 0-based epoch, for the teacher temperature.
   * @param teacherTemp the temperature as a 0-d device tensor instead of `teacherTempAt(epoch)` (a captured CUDA-graph step reads it there).
   */
  forward(studentOutput: Tensor, teacherOutput: Tensor, epoch: number, teacherTemp?: Tensor): Tensor {
    checkTensor(studentOutput, 'studentOutput');
    checkTensor(teacherOutput, 'teacherOutput');
    const temp = teacherTemp ?? this.teacherTempAt(epoch);
    const { batch, nCrops } = this.checkShapes(studentOutput, teacherOutput);
    if (this.center.device !== teacherOutput.device) {
      throw new Error(`DINOLoss.center is on ${this.center.device} but teacherOutput is on ${teacherOutput.device}: ` +
        `move the loss with dinoLoss.to('${teacherOutput.device}')`);
    }
    const d = this.outDim;
    // NOTE: float32 throughout (the logits are divided by 0.1 and 0.04);
    // main_dino.py's softmax and log_softmax run in float32 under autocast too.
    const teacher = atLeastFloat32(teacherOutput.detach());
    const logS = logSoftmax(atLeastFloat32(studentOutput).div(this.studentTemp), -1).view(nCrops, batch, d);
    const q = softmax(teacher.sub(this.center).div(temp), -1).view(2, batch, d); // (2, B, K), no grad
    const [q0, q1] = q.unbind(0);
    // Pairs (teacher crop iq, student crop v != iq): global crop 0 learns from
    // teacher crop 1 and vice versa; every local crop learns from both.
    // NOTE: written as three products instead of main_dino.py's loop over
    // pairs (same sum, fewer kernels); local crops are summed first.
    let crossSum = q1.mul(logS.select(0, 0)).sum().add(q0.mul(logS.select(0, 1)).sum());
    if (nCrops > 2) {
      const locals = logS.narrow(0, 2, nCrops - 2).sum(0); // (B, K)
      crossSum = crossSum.add(q0.add(q1).mul(locals).sum());
    }
    const pairs = 2 * nCrops - 2;
    const loss = crossSum.div(-batch * pairs);
    this.updateCenter(teacher);
    return loss;
  }

  /**
   * center = m * center + (1 - m) * mean over the batch of the teacher
   * outputs (main_dino.py's update_center); in a data-parallel run the mean
   * over every rank's batch (its `dist.all_reduce(batch_center)`), so the
   * centres of all ranks stay equal.
   */
  private updateCenter(teacher: Tensor): void {
    torch.noGrad(() => {
      const sum = teacher.sum(0, true); // (1, K)
      const g = gatherFromRanks(() => sum); // (W, K): blocking, as the step's other collectives
      const batchCenter = g === undefined ? sum.div(teacher.shape[0]) : g.all.sum(0, true).div(teacher.shape[0] * g.world); // (1, K)
      this.center.mul_(this.centerMomentum).add_(batchCenter.to(this.center.dtype), { alpha: 1 - this.centerMomentum });
    });
  }

  private checkShapes(student: Tensor, teacher: Tensor): { batch: number; nCrops: number } {
    const shape = (t: Tensor): string => `[${t.shape.join(', ')}]`;
    if (teacher.dim() !== 2 || teacher.shape[1] !== this.outDim || teacher.shape[0] < 2 || teacher.shape[0] % 2 !== 0) {
      throw new RangeError(`Expected teacherOutput of shape (2 * B, ${this.outDim}) (the 2 global crops) but received ` +
        `shape ${shape(teacher)}`);
    }
    const batch = teacher.shape[0] / 2;
    if (student.dim() !== 2 || student.shape[1] !== this.outDim || student.shape[0] % batch !== 0 ||
      student.shape[0] < 2 * batch) {
      throw new RangeError(`Expected studentOutput of shape (nCrops * ${batch}, ${this.outDim}) with nCrops >= 2 ` +
        `(teacherOutput has B = ${batch}) but received shape ${shape(student)}`);
    }
    const nCrops = student.shape[0] / batch;
    if (this.nCrops !== undefined && nCrops !== this.nCrops) {
      throw new RangeError(`Expected studentOutput with nCrops = ${this.nCrops} crops of B = ${batch} rows ` +
        `(${this.nCrops * batch} rows) but received shape ${shape(student)}`);
    }
    return { batch, nCrops };
  }
}

/** numpy.linspace(start, stop, num): num evenly spaced values, the last exactly `stop`. */
function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}
