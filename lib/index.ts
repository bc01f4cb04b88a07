// selfsup: self-supervised representation learning for Node.js on libtorch.
export * as torch from './torch-namespace';
export * as nn from './nn';
export * as optim from './optim';
export * as models from './models';
export * as data from './data';
export * as ssl from './ssl';
export * as evaluate from './eval';
export * as train from './train';
export { Trainer, TrainerOptions, TrainResult } from './train';
export * as exporting from './export';
