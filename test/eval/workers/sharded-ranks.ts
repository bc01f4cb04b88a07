// One rank of test/eval/sharded-ranks.test.ts: currentShard in a group of 2,
// and gatherSharedRows over 1 index (rank 1 has none: the width is gathered
// first) and over 3 (2 + 1), printed as JSON.
import * as torch from '../../../lib/torch';
import { currentShard, gatherSharedRows } from '../../../lib/eval/sharded-features';

async function main(): Promise<void> {
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  const shard = currentShard()!;
  // Features (n, 3): row of index i is [i, 2i, 3i]; labels i + 5. No index: (0, 0), a width the rank cannot know
  // (an encoder that never ran), which gatherSharedRows must replace by the others' width.
  const extract = (mine: torch.Tensor): { features: torch.Tensor; labels: torch.Tensor } => ({
    features: mine.shape[0] === 0 ? torch.zeros([0, 0]) : mine.to('float32').view([-1, 1]).mul(torch.tensor([[1, 2, 3]])),
    labels: mine.add(5),
  });
  const values = (t: torch.Tensor): unknown => t.toArray();
  const one = gatherSharedRows(torch.tensor([4], { dtype: 'int64' }), shard, extract);
  const three = gatherSharedRows(torch.tensor([7, 1, 4], { dtype: 'int64' }), shard, extract);
  const report = { rank: torch.distributed.getRank(), shard,
    one: { features: values(one.features), shape: one.features.shape, labels: values(one.labels), dtype: one.labels.dtype },
    three: { features: values(three.features), labels: values(three.labels) }, done: true };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
