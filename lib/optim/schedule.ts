// Schedules as pure functions of the step: `(step) => value`, for learning
// rates, weight decay (DINO 0.04 -> 0.4) and EMA momentum (BYOL 0.996 -> 1).

import { checkFinite, checkIntAtLeast, checkNonNegative } from '../torch/arguments';
import { defineOptions, option, OptionCheck, REQUIRED } from '../torch/option-table';

/** A value as a function of the (0-based) step. */
export type Schedule = (step: number) => number;

/** Linear warmup shared by the schedules. */
export interface WarmupOptions {
  /** Steps of linear warmup before the schedule proper (default 0). */
  warmupSteps?: number;
  /** The value at step 0 of the warmup (default 0). */
  warmupStart?: number;
}

/** An integer >= min, in the schedules' wording (`Expected integer >= 1 for totalSteps`). */
const intAtLeast = (min: number): OptionCheck<number> => (v, what) => checkIntAtLeast(v, what, min);

// The schedules' options: each default stated once, with its check (REQUIRED:
// the check runs on undefined too and names the missing option).
const WARMUP_SPECS = { warmupStart: option(0, checkFinite), warmupSteps: option(0, intAtLeast(0)) };
const COSINE_OPTIONS = defineOptions({
  base: option(REQUIRED, checkFinite), final: option(0, checkFinite), totalSteps: option(REQUIRED, intAtLeast(1)),
  ...WARMUP_SPECS,
});
const STEP_SCHEDULE_OPTIONS = defineOptions({
  base: option(REQUIRED, checkFinite), gamma: option(0.1, checkFinite), ...WARMUP_SPECS,
});
const CONSTANT_OPTIONS = defineOptions({ value: option(REQUIRED, checkFinite), ...WARMUP_SPECS });

/** `after` (the schedule proper), preceded by the linear warmup from `warmupStart` to `base`; checks the step. */
function withWarmup(warmup: Required<WarmupOptions>, base: number, after: Schedule): Schedule {
  const { warmupSteps, warmupStart } = warmup;
  return (step) => {
    checkNonNegative(step, 'step');
    if (step >= warmupSteps) return after(step);
    // NOTE: DINO's `np.linspace(warmupStart, base, warmupSteps)`: the warmup
    // reaches `base` at its last step (warmupSteps - 1), and a one-step warmup
    // is just `warmupStart`.
    if (warmupSteps === 1) return warmupStart;
    return warmupStart + (base - warmupStart) * (step / (warmupSteps - 1));
  };
}

/**
 * Linear warmup from `warmupStart` to `base`, then a half cosine from `base`
 * down (or up) to `final` over the remaining steps: DINO's (and iBOT's, MAE's
 * per-iteration) `cosine_scheduler(base, final, epochs, niter_per_ep,
 * warmup_epochs, start_warmup_value)` with `totalSteps = epochs * niter_per_ep`:
 * `final + (base - final) / 2 * (1 + cos(pi * i / (totalSteps - warmupSteps)))`,
 * `i = step - warmupSteps`. Steps at or past `totalSteps` give `final`.
 *
 * @example
 * const lr = optim.cosineSchedule({ base: 5e-4, final: 1e-6, totalSteps: 100 * 390, warmupSteps: 10 * 390 });
 * const momentum = optim.cosineSchedule({ base: 0.996, final: 1, totalSteps });   // BYOL's EMA
 * const wd = optim.cosineSchedule({ base: 0.04, final: 0.4, totalSteps });        // DINO's weight decay
 */
export function cosineSchedule(options: { base: number; final?: number; totalSteps: number } & WarmupOptions): Schedule {
  const warmup = COSINE_OPTIONS.resolve(options, (k) => k);
  const { base, final, totalSteps, warmupSteps } = warmup;
  if (warmupSteps > totalSteps) {
    throw new RangeError(`Expected warmupSteps <= totalSteps (${totalSteps}) but received ${warmupSteps}`);
  }
  const cosineSteps = totalSteps - warmupSteps;
  return withWarmup(warmup, base, (step) => {
    if (step >= totalSteps) return final;
    const i = step - warmupSteps;
    return final + 0.5 * (base - final) * (1 + Math.cos((Math.PI * i) / cosineSteps));
  });
}

/**
 * Linear warmup, then `base * gamma^k` where k counts the milestones already
 * reached: torch.optim.lr_scheduler.MultiStepLR in steps.
 *
 * @example
 * const lr = optim.stepSchedule({ base: 0.1, milestones: [30_000, 60_000], gamma: 0.1 });
 */
export function stepSchedule(options: { base: number; milestones: readonly number[]; gamma?: number } & WarmupOptions): Schedule {
  const { milestones } = options;
  const warmup = STEP_SCHEDULE_OPTIONS.resolve(options, (k) => k);
  const { base, gamma } = warmup;
  if (!Array.isArray(milestones)) throw new TypeError(`Expected an array of steps for milestones but received ${String(milestones)}`);
  milestones.forEach((m, i) => checkIntAtLeast(m, `milestones[${i}]`, 0));
  const sorted = [...milestones].sort((a, b) => a - b);
  return withWarmup(warmup, base, (step) => {
    let k = 0;
    while (k < sorted.length && sorted[k] <= step) k++;
    return base * gamma ** k;
  });
}

/**
 * Linear warmup, then a constant `value`.
 *
 * @example
 * const lr = optim.constantSchedule({ value: 1e-3, warmupSteps: 500 });
 */
export function constantSchedule(options: { value: number } & WarmupOptions): Schedule {
  const warmup = CONSTANT_OPTIONS.resolve(options, (k) => k);
  const { value } = warmup;
  return withWarmup(warmup, value, () => value);
}
