// One rank of the SimCLR rank test: SimCLR's step on this rank's half of a
// seeded batch (the same weights on every rank), against NT-Xent of the same
// projections with and without the other ranks' projections as negatives,
// printed as JSON.
import * as torch from '../../../lib/torch';
import { ntXent } from '../../../lib/ssl/losses/nt-xent';
import { SimCLR } from '../../../lib/ssl/simclr';

const B = 4; // images per rank

async function main(): Promise<void> {
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  const rank = torch.distributed.getRank();
  const world = torch.distributed.getWorldSize();
  torch.manualSeed(5);
  const method = new SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 16, outDim: 8,
    temperature: 0.2 });
  method.train();
  const [x1, x2] = [1, 2].map((s) => torch.randn([world * B, 1, 8, 8], { generator: new torch.Generator().manualSeed(s) })
    .narrow(0, rank * B, B));
  const loss = Number(method.trainingStep([x1, x2]).loss.item());
  const [z1, z2] = torch.noGrad(() => method.projectionHead.forward(method.encoder.forward(torch.cat([x1, x2], 0))).chunk(2, 0));
  const global = Number(ntXent(z1, z2, { temperature: 0.2, gatherDistributed: true }).item());
  const local = Number(ntXent(z1, z2, { temperature: 0.2, gatherDistributed: false }).item());
  process.stdout.write(`${JSON.stringify({ rank, world, global: Math.abs(loss - global), local: Math.abs(loss - local), done: true })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
