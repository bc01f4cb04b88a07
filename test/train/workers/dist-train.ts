// One rank of a data-parallel Trainer test: joins the group from the
// environment (RANK, WORLD_SIZE, MASTER_ADDR/PORT), trains the run that the
// JSON argument describes, and prints a JSON report.
import * as torch from '../../../lib/torch';
import { Trainer } from '../../../lib/train/trainer';
import { LogRecord } from '../../../lib/train/options';
import { DistRunConfig, EvalCountingCnn, buildRun, stateRecords } from '../dist-run';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as DistRunConfig;
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  const rank = torch.distributed.getRank();
  const abort = new AbortController();
  const losses: number[] = [];
  const { method, options } = buildRun(cfg, {
    signal: abort.signal,
    onLog: (r: LogRecord) => {
      if (r.type !== 'step') return;
      losses.push(r.loss);
      if (cfg.abortAfterStep !== undefined && r.step + 1 === cfg.abortAfterStep) abort.abort();
    },
  });
  const result = await new Trainer(method, options).fit();
  const types = [...new Set([...method.modules()].map((m) => m.typeName).filter((t) => /Norm/.test(t)))];
  process.stdout.write(`${JSON.stringify({ rank, world: torch.distributed.getWorldSize(), done: true, steps: result.steps,
    interrupted: result.interrupted, loss: result.loss, losses, types,
    evalRows: (method.encoder as EvalCountingCnn).evalRows, states: stateRecords(method) })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.message}\n`);
  process.exit(1);
});
