// One rank of the sharded final-evaluation test: evaluateEncoder's report in
// one process (computed before the group exists, in this same process), then
// sharded on the ranks. Rank 1's trained encoder gets other batch-norm
// statistics and its random encoder other weights first (the evaluation must
// encode every share with rank 0's). Prints both reports, rank 1's own
// unsharded report (its changed encoders alone) and the images each rank encoded.
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { synthetic } from '../../../lib/data/synthetic';
import { evaluateEncoder, EvaluateOptions } from '../../../lib/eval/report';
import { extractFeatures } from '../../../lib/eval/features';
import { currentShard, shardedFeatures } from '../../../lib/eval/sharded-features';
import { EvalCountingCnn } from '../dist-run';

async function main(): Promise<void> {
  const train = synthetic({ n: 37, channels: 1, size: 8, classes: 5, seed: 1 });
  const test = synthetic({ n: 23, channels: 1, size: 8, classes: 5, seed: 2 }); // the same class prototypes as train
  let rank = 0;
  // The random encoders built (one per evaluation); rank 1's get other weights.
  const randoms: EvalCountingCnn[] = [];
  const randomEncoder = (): EvalCountingCnn => {
    const e = new EvalCountingCnn({ inChannels: 1, width: 2 });
    if (rank === 1) torch.noGrad(() => e.parameters().forEach((p) => p.add_(torch.randn(p.shape))));
    randoms.push(e);
    return e;
  };
  torch.manualSeed(0);
  const trained = new EvalCountingCnn({ inChannels: 1, width: 2 });
  const statistics = (x: Tensor): void => torch.noGrad(() => {
    trained.train();
    for (let i = 0; i < 5; i++) trained.forward(x);
    trained.eval();
  });
  const images = train.images.to('float32').div(255).sub(train.mean[0]).div(train.std[0]); // (37, 1, 8, 8)
  statistics(images);
  const options: EvaluateOptions = { train, test, randomEncoder, k: [3, 7], trainSubset: 33, subsetSeed: 2, batchSize: 8,
    linearOptions: { epochs: 3 } };
  const ref = await evaluateEncoder(trained, options);
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  rank = torch.distributed.getRank();
  if (rank === 1) statistics(images.mul(images).mul(3).add(1));
  // In the group but not sharded: this rank's own encoders alone.
  const alone = await evaluateEncoder(trained, options);
  trained.evalRows = 0;
  randoms.length = 0;
  const sharded = await evaluateEncoder(trained, { ...options, sharded: true });
  const rows = { trained: trained.evalRows, random: randoms.map((e) => e.evalRows) };
  // One image on 2 ranks: rank 1's share is empty, yet it takes part in the gathers and gets the image's features.
  const one = torch.tensor([5], { dtype: 'int64' });
  const { features, labels } = shardedFeatures(trained, test, { indices: one, batchSize: 8 }, currentShard()!);
  const own = extractFeatures(trained, test, { indices: one });
  const oneImage = { shape: features.shape, sameLabel: Number(labels.item()) === Number(own.labels.item()),
    diff: Number(features.sub(own.features).abs().max().item()), rows: trained.evalRows - rows.trained - 1 };
  const strip = (r: typeof ref): unknown => ({ ...r, seconds: 0, rows: r.rows.map((row) => ({ ...row, seconds: 0 })) });
  process.stdout.write(`${JSON.stringify({ rank, ref: strip(ref), alone: strip(alone), sharded: strip(sharded), rows, oneImage, done: true })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
