// `selfsup tensorboard`: a run folder's metrics, pictures and weights as a
// TensorBoard event file (`tensorboard --logdir runs/` then shows the run).
import { Command } from 'commander';
import { RunEventsInfo, writeRunEvents } from '../export/tensorboard/run-events';

/**
 * Registers `selfsup tensorboard <run> [--out dir]`.
 * @example registerTensorboard(new Command('selfsup'));
 */
export function registerTensorboard(program: Command): void {
  program.command('tensorboard')
    .description('Write a run folder\'s metrics, pictures and weight histograms (and projector files for its ' +
      'embeddings) as a TensorBoard event file')
    .argument('<run>', 'run folder')
    .option('--out <dir>', 'folder for the event file (default <run>/tensorboard)')
    .action((run: string, f: { out?: string }) => {
      const info: RunEventsInfo = writeRunEvents(run, f);
      process.stderr.write(`Wrote ${info.file}: ${info.scalars} scalars, ${info.images} images, ${info.histograms} ` +
        `histograms${info.projector ? `, projector ${info.projector}` : ''}\n`);
    });
}
