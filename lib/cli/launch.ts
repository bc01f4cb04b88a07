// `selfsup launch`: torchrun for Node programs (lib/train/launch.ts).
import * as path from 'path';
import { Command } from 'commander';
import { launch } from '../train/launch';
import { intArg } from './option-parsers';

/** Registers `selfsup launch --nproc-per-node N script.js [args...]`. */
export function registerLaunch(program: Command): void {
  program.command('launch')
    .description('Run a Node script on N processes with the rendezvous environment torchrun sets ' +
      '(RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT); the script calls torch.distributed.initProcessGroup(). ' +
      'If a rank fails, the others are stopped and its error is shown.')
    .requiredOption('--nproc-per-node <n>', 'processes on this machine (one per GPU, or 2 for 2 CPU ranks)', intArg('--nproc-per-node'))
    .option('--nnodes <n>', 'machines in the job', intArg('--nnodes'), 1)
    .option('--node-rank <r>', 'index of this machine', intArg('--node-rank', 0), 0)
    .option('--master-addr <host>', 'address of node 0 (hosts the TCPStore)', '127.0.0.1')
    .option('--master-port <port>', 'port of the TCPStore', intArg('--master-port'), 29500)
    .argument('<script>', 'the Node program each rank runs (\'selfsup\': this command, e.g. selfsup launch --nproc-per-node 2 selfsup -- train simclr)')
    .argument('[args...]', 'its arguments')
    .allowUnknownOption(false)
    .action(async (script: string, args: string[], flags: { nprocPerNode: number; nnodes: number; nodeRank: number;
      masterAddr: string; masterPort: number }) => {
      const self = path.resolve(__dirname, '../../../bin/selfsup.js');
      await launch({ ...flags, script: script === 'selfsup' ? self : script, args });
    });
}
