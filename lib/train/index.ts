// The training loop and its run folder: Trainer, options, checkpoints, logs and plots.
export { Trainer, TrainResult } from './trainer';
export {
  TrainerOptions, MonitorOptions, ProgressStream, LogRecord, StepRecord, KnnRecord, EpochRecord, resolveOptions,
} from './options';
export { setupOptimizer, mergeRecipe, scaledLr, OptimizerSetup } from './optimizer-setup';
export {
  CheckpointState, CheckpointFiles, checkpointName, saveCheckpoint, listCheckpoints, pruneCheckpoints, findCheckpoint,
  readCheckpoint, restoreCheckpoint,
} from './checkpoint';
export { MetricsLog } from './metrics-log';
export { Progress, formatDuration } from './progress';
export { renderSvg, writePlot, LinePlot, Series } from './plot';
export { KnnMonitor } from './monitor';
export { checkRunFolder, writeConfig, writePlots } from './run-folder';
export { SigintHandler } from './interrupt';
export { DataParallel, DataParallelOptions, isDataParallel } from './data-parallel';
