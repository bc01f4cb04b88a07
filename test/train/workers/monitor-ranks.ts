// One rank of the sharded k-NN monitor test: the monitor's accuracies and
// floors in one process (computed before the group exists), then sharded on
// the ranks; rank 1's batch-norm statistics are changed first (the monitor
// must encode with rank 0's). Prints both and the rows each rank encoded.
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { SmallCnn } from '../../../lib/models/small-cnn';
import { synthetic } from '../../../lib/data/synthetic';
import { KnnMonitor, MonitorRun } from '../../../lib/train/monitor';

/** A SmallCnn that counts the images it encodes. */
class CountingCnn extends SmallCnn {
  rows = 0;
  override forward(x: Tensor): Tensor {
    this.rows += x.shape[0];
    return super.forward(x);
  }
}

async function main(): Promise<void> {
  const train = synthetic({ n: 40, channels: 1, size: 8, classes: 3, seed: 1 });
  const test = synthetic({ n: 30, channels: 1, size: 8, classes: 3, seed: 1 }); // the same class prototypes as train
  const options = { train, test, k: 5, everyEpochs: 1, trainSubset: 37, testSubset: 23 };
  torch.manualSeed(0);
  const encoder = new CountingCnn({ inChannels: 1, width: 2 });
  const trained = new CountingCnn({ inChannels: 1, width: 2 });
  // Running statistics of the data (as after training), and on rank 1 of other data: they change the features.
  const statistics = (net: SmallCnn, x: Tensor): void => torch.noGrad(() => {
    net.train();
    for (let i = 0; i < 5; i++) net.forward(x);
    net.eval();
  });
  const images = train.images.to('float32').div(255).sub(train.mean[0]).div(train.std[0]); // (40, 1, 8, 8)
  statistics(trained, images);
  const run: MonitorRun = { seed: 4, device: 'cpu', mean: train.mean, std: train.std, batchSize: 8 };
  const single = new KnnMonitor(options, run);
  const ref = { floors: single.floors(encoder), knn: single.evaluate(trained)[5] };
  const oneImage = new KnnMonitor({ ...options, testSubset: 1 }, run);
  const oneRef = { floors: oneImage.floors(), knn: oneImage.evaluate(trained)[5] };
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  const rank = torch.distributed.getRank();
  if (rank === 1) statistics(trained, images.mul(images).mul(3).add(1));
  // In the group but not sharded: this rank alone, with its own statistics.
  const unsharded = new KnnMonitor(options, run).evaluate(trained)[5];
  const sharded = new KnnMonitor(options, { ...run, sharded: true });
  encoder.rows = 0;
  trained.rows = 0;
  const got = { floors: sharded.floors(encoder), knn: sharded.evaluate(trained)[5] };
  const rows = { random: encoder.rows, trained: trained.rows };
  // Rank 1's statistics wrecked (every running mean 50): only the broadcast of rank 0's keeps the accuracy.
  if (rank === 1) {
    torch.noGrad(() => [...trained.namedBuffers()].filter(([k]) => k.endsWith('running_mean')).forEach(([, b]) => b.fill_(50)));
  }
  const wrecked = { unsharded: new KnnMonitor(options, run).evaluate(trained)[5], sharded: sharded.evaluate(trained)[5] };
  // One test image: rank 1's share is empty, and both get the one-process accuracy.
  const one = { ...options, testSubset: 1 };
  const oneSharded = new KnnMonitor(one, { ...run, sharded: true });
  const oneGot = { floors: oneSharded.floors(), knn: oneSharded.evaluate(trained)[5] };
  process.stdout.write(`${JSON.stringify({ rank, ref, got, rows, unsharded, wrecked, oneRef, oneGot, done: true })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
