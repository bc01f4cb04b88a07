// Applying a schedule to an option of an optimiser's groups (the learning
// rate or the weight decay), step by step, as torch.optim.lr_scheduler does (DINO and MAE set param_group values each
// iteration the same way).
import { Optimizer, BaseOptions } from './optimizer';
import { Schedule } from './schedule';
import { defineOptions, is, option, OPTIONAL } from '../torch/option-table';

/** What an `OptionScheduler` sets: the learning rate or the weight decay. */
export type ScheduledOption = 'lr' | 'weightDecay';

// The defaults of an OptionScheduler's options; `applies` has none (it is derived
// from the groups' weight decay) and is checked against the number of groups.
const OPTION_SCHEDULER_OPTIONS = defineOptions({
  option: option<ScheduledOption>('lr', (v, what) => {
    if (v === 'lr' || v === 'weightDecay') return v;
    throw new RangeError(`Expected 'lr' or 'weightDecay' for ${what} but received ${String(v)}`);
  }),
  applies: option(OPTIONAL, is.checkedLater<readonly boolean[]>()),
});

/**
 * Sets `option` of every group to `schedule(step) * scale`, where scale is the
 * group's `lrScale` (or `weightDecayScale`), default 1. For `weightDecay`,
 * groups whose weight decay is 0 when the scheduler is built (the no-decay
 * group) are left at 0, as DINO schedules only its regularised group;
 * `options.applies` (one flag per group) names the scheduled groups instead,
 * for a weight decay that starts at 0 in every group.
 * The value for step 0 is applied on construction; `step()` advances.
 *
 * @example
 * const sched = new optim.OptionScheduler(opt, optim.cosineSchedule({ base: 0.3, totalSteps, warmupSteps }));
 * for (let i = 0; i < totalSteps; i++) { trainStep(); opt.step(); sched.step(); }
 */
export class OptionScheduler {
  /** The step whose value is applied now (PyTorch's `last_epoch`). */
  lastStep = 0;
  private readonly skip: boolean[];
  // The scheduled option, resolved once.
  private readonly option: ScheduledOption;

  constructor(
    readonly optimizer: Optimizer<BaseOptions>,
    readonly schedule: Schedule,
    readonly options: { option?: ScheduledOption; applies?: readonly boolean[] } = {},
  ) {
    const { option, applies } = OPTION_SCHEDULER_OPTIONS.resolve(options, (k) => k);
    this.option = option;
    const groups = optimizer.paramGroups.length;
    if (applies !== undefined && (!Array.isArray(applies) || applies.length !== groups)) {
      throw new RangeError(`Expected one boolean per parameter group (${groups}) for options.applies but received ` +
        JSON.stringify(applies));
    }
    this.skip = applies !== undefined ? applies.map((a) => !a)
      : optimizer.paramGroups.map((g) => option === 'weightDecay' && g.weightDecay === 0);
    this.apply(0);
  }

  /** The value the schedule gives now (before group scales). */
  get value(): number {
    return this.schedule(this.lastStep);
  }

  /**
   * Advances one step and applies the new value.
   *
   * @example
   * opt.step(); sched.step();
   */
  step(): void {
    this.apply(this.lastStep + 1);
  }

  /**
   * Applies the value of `step` (to resume a run at a given step).
   *
   * @example
   * sched.apply(resumedStep);
   */
  apply(step: number): void {
    const option = this.option;
    const value = this.schedule(step);
    this.optimizer.paramGroups.forEach((g, i) => {
      if (this.skip[i]) return;
      const scale = option === 'lr' ? g.lrScale ?? 1 : g.weightDecayScale ?? 1;
      g[option] = value * scale;
    });
    this.lastStep = step;
  }

  /** `{ lastStep }`, for checkpoints. @example const s = sched.stateDict(); */
  stateDict(): { lastStep: number } {
    return { lastStep: this.lastStep };
  }

  /** Restores `lastStep` and applies its value. @example sched.loadStateDict({ lastStep: 1200 }); */
  loadStateDict(state: { lastStep: number }): void {
    this.apply(state.lastStep);
  }
}
