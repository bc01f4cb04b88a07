// A tiny fixed batch and a few-step training loop for the method tests:
// synthetic 16x16 RGB images, views drawn once with a seeded generator, so
// every step sees the same inputs and only the weights change.
import * as torch from '../../lib/torch';
import { synthetic } from '../../lib/data/synthetic';
import { Method, TrainProgress } from '../../lib/ssl/method';
import { SGD } from '../../lib/optim/sgd';
import { LARS } from '../../lib/optim/lars';

export const SIZE = 16;
export const BATCH = 16;

/** Images in [0, 1] (BATCH, 3, SIZE, SIZE) and the method's two views of them, fixed. */
export function fixedViews(method: Method, seed = 1): torch.Tensor[] {
  const ds = synthetic({ n: BATCH, channels: 3, size: SIZE, classes: 4, seed: 0 });
  const images = ds.images.to('float32').div(255); // (B, 3, 16, 16)
  const g = new torch.Generator().manualSeed(seed);
  return method.augmentation({ size: SIZE, channels: 3, mean: ds.mean, std: ds.std }).forward(images, g);
}

export function progress(step: number, totalSteps: number): TrainProgress {
  return { step, totalSteps, epoch: 0, stepsPerEpoch: totalSteps };
}

/**
 * `steps` optimizer steps as the Trainer takes them (each in one scope);
 * returns the losses and the live-tensor count after each step.
 */
export function trainSteps(method: Method, optimizer: SGD | LARS, views: torch.Tensor[], steps: number,
  totalSteps = steps): { losses: number[]; liveTensors: number[] } {
  method.train();
  const losses: number[] = [];
  const liveTensors: number[] = [];
  for (let step = 0; step < steps; step++) {
    const p = progress(step, totalSteps);
    losses.push(torch.scope(() => {
      optimizer.zeroGrad();
      const { loss } = method.trainingStep(views, p);
      loss.backward();
      method.beforeOptimizerStep(p);
      optimizer.step();
      method.afterOptimizerStep(p);
      return Number(loss.item());
    }));
    liveTensors.push(torch.memory().tensors);
  }
  return { losses, liveTensors };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function values(t: torch.Tensor): number[] {
  return Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
}
