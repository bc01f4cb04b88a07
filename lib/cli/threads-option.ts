// The `--threads <n>` flag of the commands that run libtorch (train, eval,
// bench): one help text, one parser, and the count reaches libtorch with
// '--threads' as its source, which `selfsup info` and the bench tables show.
import { Command } from 'commander';
import { setNumThreads } from '../torch/config';
import { intArg } from './option-parsers';

/** The help text of --threads (tests check that it names the default). */
export const THREADS_HELP = 'CPU threads for libtorch (default: every available core, or OMP_NUM_THREADS when set)';

/**
 * Adds `--threads <n>` to a command.
 * @example withThreadsOption(program.command('train')).action((f) => applyThreadsFlag(f.threads))
 */
export function withThreadsOption(command: Command): Command {
  return command.option('--threads <n>', THREADS_HELP, intArg('--threads'));
}

/**
 * Sets libtorch's intra-op threads from the flag, when given (it overrides the default and OMP_NUM_THREADS).
 * @example applyThreadsFlag(4)
 */
export function applyThreadsFlag(threads: number | undefined): void {
  if (threads !== undefined) setNumThreads(threads, '--threads');
}
