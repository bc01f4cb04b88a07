// Optimisers, schedules, gradient clipping and loss scaling, as torch.optim
// (plus torch.nn.utils.clip_grad_norm_ and torch.cuda.amp.GradScaler).
export {
  Optimizer, BaseOptions, ParamGroup, ResolvedGroup, ParamState, OptimizerStateDict, StateValue, StepOptions,
} from './optimizer';
export { SGD, SGDOptions, SGDConstructorOptions } from './sgd';
export { AdamW, AdamWOptions, AdamWConstructorOptions } from './adamw';
export { LARS, LARSOptions, LARSConstructorOptions } from './lars';
export { paramGroupsWeightDecay, ParamGroupsWeightDecayOptions, WeightDecayGroups } from './param-groups';
export { Schedule, WarmupOptions, cosineSchedule, stepSchedule, constantSchedule } from './schedule';
export { OptionScheduler, ScheduledOption } from './option-scheduler';
export { LRScheduler } from './lr-scheduler';
export { clipGradNorm_ } from './clip';
export { GradScaler, GradScalerOptions } from './grad-scaler';
export { LAMB, LAMBOptions, LAMBConstructorOptions } from './lamb';
