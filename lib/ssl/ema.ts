// Exponential moving averages of a student's weights: the target network of
// BYOL and the teacher of DINO, updated after every optimizer step.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Module } from '../nn';
import { checkNumber } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { foreachAddScaled_, foreachMulByTensor_ } from '../torch/foreach';
import { cosineSchedule, Schedule } from '../optim/schedule';

/**
 * Copies the student's parameters and buffers into the teacher (same
 * architecture, same keys) and freezes the teacher: the starting point of
 * BYOL's target and DINO's teacher.
 *
 * @example
 * const teacher = makeEncoder(); initTeacher(teacher, student);
 */
export function initTeacher(teacher: Module, student: Module): void {
  teacher.loadStateDict(student.stateDict(), { strict: true });
  teacher.requiresGrad_(false);
}

/**
 * teacher = momentum * teacher + (1 - momentum) * student, over parameters
 * paired by name (buffers such as batch-norm statistics are not averaged: the
 * teacher keeps its own, as in BYOL and DINO). Two multi-tensor calls for
 * the whole network; runs without grad. The momentum is read on the device
 * (a 0-d tensor: a method's step value, which changes every step and which a
 * captured CUDA-graph step reads at replay); a number is put in a 0-d tensor
 * on the teacher's device first, so both take the same path.
 *
 * @example
 * emaUpdate_(method.teacher, method.student, schedule(step)); // lightly's update_momentum
 */
export function emaUpdate_(teacher: Module, student: Module, momentum: number | Tensor): void {
  if (!(momentum instanceof torch.Tensor)) checkNumber(momentum, 'momentum', 0, 1);
  const pairs = pairParameters(teacher, student);
  if (pairs.teacher.length === 0) return;
  torch.noGrad(() => torch.scope(() => {
    const m = momentum instanceof torch.Tensor ? momentum
      : torch.full([], momentum, { device: pairs.teacher[0].device }); // (), float32
    // NOTE: m * teacher + (1 - m) * student as a product then a scaled sum
    // (libtorch 1.13 has no _foreach_lerp_): exact at m = 1 (the teacher
    // stays) and at m = 0 (the student is copied).
    foreachMulByTensor_(pairs.teacher, m);
    foreachAddScaled_(pairs.teacher, pairs.student, m.neg().add(1));
  }));
}

const pairCache = new WeakMap<Module, WeakMap<Module, { teacher: Tensor[]; student: Tensor[] }>>();

function pairParameters(teacher: Module, student: Module): { teacher: Tensor[]; student: Tensor[] } {
  let inner = pairCache.get(teacher);
  if (inner === undefined) pairCache.set(teacher, (inner = new WeakMap()));
  const cached = inner.get(student);
  if (cached !== undefined) return cached;
  const studentParams = new Map(student.namedParameters());
  const pairs = { teacher: [] as Tensor[], student: [] as Tensor[] };
  for (const [name, t] of teacher.namedParameters()) {
    const s = studentParams.get(name);
    if (s === undefined) throw new Error(`EMA teacher has parameter '${name}' that the student lacks`);
    if (s.shape.join() !== t.shape.join()) {
      throw new Error(`EMA teacher parameter '${name}' has shape [${t.shape.join(', ')}] but the student's is [${s.shape.join(', ')}]`);
    }
    pairs.teacher.push(t);
    pairs.student.push(s);
  }
  if (pairs.teacher.length !== studentParams.size) {
    throw new Error(`EMA student has ${studentParams.size} parameters but the teacher has ${pairs.teacher.length}`);
  }
  inner.set(student, pairs);
  return pairs;
}

/** {@link momentumSchedule}'s options: defaults and checks. */
export const MOMENTUM_SCHEDULE_OPTIONS = defineOptions({
  /** Momentum at step 0. Default 0.996 (BYOL, Grill et al. 2020, section 3.2). */
  base: option(0.996, is.number(0, 1)),
  /** Momentum at the last step. Default 1. */
  final: option(1, is.number(0, 1)),
});

/**
 * The EMA momentum schedule of BYOL and DINO: a cosine from `base` (0.996)
 * up to `final` (1) over the run, `1 - (1 - base) * (cos(pi k / K) + 1) / 2`.
 *
 * @example const tau = momentumSchedule({ base: 0.996, totalSteps }); tau(0); // 0.996
 */
export function momentumSchedule(options: GivenOptions<typeof MOMENTUM_SCHEDULE_OPTIONS.specs> & { totalSteps: number }): Schedule {
  const { base, final } = MOMENTUM_SCHEDULE_OPTIONS.resolve(options, (k) => k);
  return cosineSchedule({ base, final, totalSteps: options.totalSteps });
}
