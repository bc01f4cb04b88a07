// Run by trainer.test.ts in a child process: trains until Ctrl-C, printing
// "STEP n" after each step so the parent knows when to send SIGINT.
import * as torch from '../../lib/torch';
import { synthetic } from '../../lib/data/synthetic';
import { Trainer } from '../../lib/train';
import { ToyMethod } from './toy-method';

async function main(): Promise<void> {
  const out = process.argv[2];
  torch.manualSeed(123);
  const method = new ToyMethod({});
  const data = synthetic({ n: 64, channels: 1, size: 8, classes: 4, seed: 1 });
  const result = await new Trainer(method, {
    data, batchSize: 16, steps: 1000, out, logEvery: 1, progress: 'none',
    onLog: (r) => { if (r.type === 'step') process.stdout.write(`STEP ${r.step}\n`); },
  }).fit();
  process.stdout.write(`RESULT interrupted=${result.interrupted} steps=${result.steps}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
