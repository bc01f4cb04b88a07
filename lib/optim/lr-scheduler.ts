// The scheduler's former name, kept because `optim.LRScheduler` is public API:
// it schedules the weight decay too, so it is now `OptionScheduler`.
import { OptionScheduler } from './option-scheduler';

export { ScheduledOption } from './option-scheduler';

/**
 * @deprecated Use `OptionScheduler` (the same class): it schedules the weight decay as well as the learning rate.
 * @example const sched = new optim.LRScheduler(opt, optim.cosineSchedule({ base: 0.3, totalSteps: 100 }));
 */
export const LRScheduler = OptionScheduler;
/** @deprecated Use `OptionScheduler`. */
export type LRScheduler = OptionScheduler;
