// `selfsup train` on several processes: `--nproc-per-node N` (torchrun's
// flags) relaunches the same command on N ranks, and a rank started by
// `selfsup launch` or torchrun joins the default process group from the
// environment they set.
import * as path from 'path';
import { Command } from 'commander';
import * as torch from '../torch';
import { launch, LAUNCH_OPTIONS } from '../train/launch';
import { intArg } from './option-parsers';
import { defineOptions, is, option } from '../torch/option-table';

/** The launcher flags `selfsup train` shares with torchrun and `selfsup launch`. */
export interface LaunchFlags {
  nprocPerNode?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
}

/** `launchRanks`'s default: one process on this machine (`launch` checks the count, naming it). */
export const LAUNCH_RANKS_OPTIONS = defineOptions({
  /** Ranks on this machine (--nproc-per-node). Default 1. */
  nprocPerNode: option(1, is.checkedLater<number>()),
});

const LAUNCH_FLAGS = ['--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port'];

/**
 * Adds torchrun's flags to a command.
 * @example withLaunchOptions(program.command('train'));
 */
export function withLaunchOptions(command: Command): Command {
  return command
    .option('--nproc-per-node <n>', 'train data-parallel on n processes of this machine (torchrun\'s flag; --batch-size is the global batch)',
      intArg('--nproc-per-node'))
    .option('--nnodes <n>', 'machines in a multi-machine run (with --nproc-per-node)', intArg('--nnodes'))
    .option('--node-rank <r>', 'index of this machine (with --nproc-per-node)', intArg('--node-rank', 0))
    .option('--master-addr <host>', `address of node 0 (with --nproc-per-node; default ${LAUNCH_OPTIONS.defaults.masterAddr})`)
    .option('--master-port <port>', `port of the rendezvous store (with --nproc-per-node; default ${LAUNCH_OPTIONS.defaults.masterPort})`,
      intArg('--master-port'));
}

/**
 * `args` (a command line after the program name) without the launcher
 * flags and their values, plus `extra`: what each rank runs.
 *
 * @example withoutLaunchFlags(['train', '--nproc-per-node', '2', '--steps', '5'], []); // ['train', '--steps', '5']
 */
export function withoutLaunchFlags(args: readonly string[], extra: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (LAUNCH_FLAGS.includes(a)) i++;
    else if (!LAUNCH_FLAGS.some((f) => a.startsWith(`${f}=`))) out.push(a);
  }
  return [...out, ...extra];
}

/**
 * Runs `selfsup <args>` on `flags.nprocPerNode` ranks of this machine (the
 * rest of a multi-machine job runs the same command with its own
 * --node-rank) and resolves when all have finished; a failing rank stops the others.
 *
 * @example await launchRanks({ nprocPerNode: 2 }, ['train', 'simclr', '--steps', '10', '--out', 'runs/a']);
 */
export async function launchRanks(flags: LaunchFlags, args: readonly string[]): Promise<void> {
  const bin = path.resolve(__dirname, '../../../bin/selfsup.js');
  const mp = flags.nnodes !== undefined && flags.nnodes > 1;
  if (mp && flags.masterAddr === undefined) {
    throw new Error('--nnodes > 1 needs --master-addr (the address of node 0, reachable from every machine)');
  }
  const { nprocPerNode } = LAUNCH_RANKS_OPTIONS.resolve(flags, (k) => k);
  await launch({
    nprocPerNode, nnodes: flags.nnodes, nodeRank: flags.nodeRank, masterAddr: flags.masterAddr,
    masterPort: flags.masterPort, script: bin, args,
  });
}

/** A rank's place in the job, and how to leave the group it joined. */
export interface RankPlace {
  rank: number;
  worldSize: number;
  leave(): void;
}

/**
 * Joins the default process group when this process is a rank of a
 * launched job (WORLD_SIZE > 1 in the environment, as `selfsup launch` and
 * torchrun set it), with Gloo on the CPU and NCCL on CUDA; a group the
 * program already joined is used as it is.
 *
 * @example const place = await joinFromEnv('cpu'); try { ... } finally { place.leave(); }
 */
export async function joinFromEnv(device: string, env: NodeJS.ProcessEnv = process.env): Promise<RankPlace> {
  if (torch.distributed.isInitialized()) {
    return { rank: torch.distributed.getRank(), worldSize: torch.distributed.getWorldSize(), leave: () => undefined };
  }
  const world = Number(env.WORLD_SIZE ?? '1');
  if (!(world > 1)) return { rank: 0, worldSize: 1, leave: () => undefined };
  await torch.distributed.initProcessGroup({ backend: device.startsWith('cuda') ? 'nccl' : 'gloo', initMethod: 'env://' });
  return {
    rank: torch.distributed.getRank(), worldSize: torch.distributed.getWorldSize(),
    leave: () => { if (torch.distributed.isInitialized()) torch.distributed.destroyProcessGroup(); },
  };
}
