// The `selfsup` command: one subcommand per file, registered here.
import { Command } from 'commander';
import { packageVersion, registerInfo } from './info';
import { registerPreview } from './preview';
import { registerTrain } from './train';
import { registerEval } from './eval';
import { registerBench } from './bench';
import { registerEmbed } from './embed';
import { registerNeighbors } from './neighbors';
import { registerExport } from './export';
import { registerLaunch } from './launch';
import { registerTensorboard } from './tensorboard';
import { registerDashboard } from './dashboard';

/** Builds the command-line program (exported for tests, which parse argv without exiting). */
export function program(): Command {
  const p = new Command('selfsup')
    .description('Self-supervised representation learning for Node.js on libtorch')
    .version(packageVersion());
  registerTrain(p);
  registerEval(p);
  registerInfo(p);
  registerPreview(p);
  registerBench(p);
  registerEmbed(p);
  registerNeighbors(p);
  registerExport(p);
  registerLaunch(p);
  registerTensorboard(p);
  registerDashboard(p);
  return p;
}

export { packageVersion };

/** Runs the command line; errors print their message (no stack) and exit with status 1. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`selfsup: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
