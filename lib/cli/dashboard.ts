// `selfsup dashboard`: serves the local page that shows the runs of a folder live.
import { Command } from 'commander';
import { DASHBOARD_OPTIONS, startDashboard } from '../dashboard/server';
import { intArg } from './option-parsers';

/**
 * Registers `selfsup dashboard [runs] [--port] [--host]`.
 * @example registerDashboard(new Command('selfsup'));
 */
export function registerDashboard(program: Command): void {
  program.command('dashboard')
    .description('Serve a local page with the curves, evaluation, pictures and config of every run in a folder, ' +
      'updating live while a run trains (Ctrl-C stops it)')
    .argument('[runs]', 'folder of run folders (or one run folder)', DASHBOARD_OPTIONS.defaults.root)
    // TensorBoard's port, where the API's default is any free one.
    .option('--port <n>', 'port (0: a free one)', intArg('--port', 0), 6006)
    .option('--host <address>', 'interface to listen on (loopback only by default)', DASHBOARD_OPTIONS.defaults.host)
    .action(async (root: string, f: { port: number; host: string }) => {
      const d = await startDashboard({ root, port: f.port, host: f.host });
      process.stdout.write(`selfsup dashboard: ${d.url} (runs in ${root}; Ctrl-C stops)\n`);
    });
}
