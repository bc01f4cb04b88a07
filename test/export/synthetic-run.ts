// A run folder as selfsup train leaves it (config.json and
// encoder.safetensors), with a small_cnn (width 4) on the synthetic data:
// what the export commands start from, without training.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { SmallCnn } from '../../lib/models/small-cnn';

/** Writes the run into `dir` and returns its encoder (seeded: the same weights each time). */
export function makeSyntheticRun(dir: string): SmallCnn {
  torch.manualSeed(3);
  const encoder = new SmallCnn({ inChannels: 1, width: 4 });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    config: { method: 'simclr', encoder: 'small_cnn', encoderOptions: { width: 4 }, data: 'synthetic' },
  }));
  saveSafetensors(path.join(dir, 'encoder.safetensors'), encoder.stateDict());
  return encoder;
}
