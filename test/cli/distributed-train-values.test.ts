// The launcher side of `selfsup train` by value, in this process (issue 21, lib/cli's mutation score, third pass):
// joinFromEnv joins a process group of one rank (WORLD_SIZE above 1 in the environment it is given, the
// rendezvous from this process's own variables) with Gloo on the CPU and NCCL for any cuda device, and leaves it;
// a group joined before is used as it is and not left; launchRanks hands lib/train's launch (a recorder here)
// the command, and checks --master-addr only for several machines; each launcher flag names itself when refused.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { joinFromEnv, launchRanks } from '../../lib/cli/distributed-train';
import * as launchModule from '../../lib/train/launch';
import { freePort } from '../torch/distributed/ranks';
import { quietProgram } from '../helpers/quiet-program';
import { messageOf } from '../helpers/refuses';

type LaunchArgs = Parameters<typeof launchModule.launch>[0];
const VARS = ['MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE'] as const;

describe('cli: joining and launching ranks by value (one process)', function () {
  this.timeout(60000);
  const saved: Record<string, string | undefined> = {};
  beforeEach(async () => {
    for (const v of VARS) saved[v] = process.env[v];
    Object.assign(process.env, { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(await freePort()), RANK: '0', WORLD_SIZE: '1' });
  });
  afterEach(() => {
    if (torch.distributed.isInitialized()) torch.distributed.destroyProcessGroup();
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v]; else process.env[v] = saved[v];
    }
  });

  it('joinFromEnv joins with Gloo on the CPU when WORLD_SIZE > 1, and leave() leaves (once)', async () => {
    const place = await joinFromEnv('cpu', { WORLD_SIZE: '2' });
    assert.equal(torch.distributed.isInitialized(), true);
    assert.equal(torch.distributed.getBackend(), 'gloo');
    assert.deepEqual([place.rank, place.worldSize], [0, 1]);
    // Joined already: the same group, and leaving that place does not leave it.
    const again = await joinFromEnv('cpu', { WORLD_SIZE: '2' });
    assert.deepEqual([again.rank, again.worldSize], [0, 1]);
    again.leave();
    assert.equal(torch.distributed.isInitialized(), true);
    place.leave();
    assert.equal(torch.distributed.isInitialized(), false);
    place.leave();
    assert.equal(torch.distributed.isInitialized(), false);
    // WORLD_SIZE 1 or none: alone, no group.
    for (const env of [{ WORLD_SIZE: '1' }, {}]) {
      const alone = await joinFromEnv('cpu', env);
      assert.deepEqual([alone.rank, alone.worldSize, torch.distributed.isInitialized()], [0, 1, false]);
      alone.leave();
    }
  });

  it('joinFromEnv asks for NCCL for any cuda device', async function () {
    if (torch.distributed.isBackendAvailable('nccl')) this.skip();
    for (const device of ['cuda', 'cuda:1']) {
      assert.equal(await messageOf(() => joinFromEnv(device, { WORLD_SIZE: '2' })),
        `initProcessGroup: backend 'nccl' is not available in this build of the addon (available: ${
          ['gloo', 'nccl'].filter((b) => torch.distributed.isBackendAvailable(b)).join(', ')}; docs/distributed.md says how to get it)`);
      assert.equal(torch.distributed.isInitialized(), false);
    }
  });

  it('launchRanks hands launch the command; --master-addr is needed only for several machines', async () => {
    const real = launchModule.launch;
    const calls: LaunchArgs[] = [];
    (launchModule as { launch: typeof real }).launch = async (o: LaunchArgs) => { calls.push(o); };
    try {
      const bin = path.resolve(__dirname, '../../../bin/selfsup.js');
      await launchRanks({ nprocPerNode: 2, nnodes: 1 }, ['train', 'simclr']);
      await launchRanks({}, ['eval', 'x']);
      await launchRanks({ nprocPerNode: 3, nnodes: 2, nodeRank: 1, masterAddr: 'h', masterPort: 29501 }, ['train']);
      assert.deepEqual(calls, [
        { nprocPerNode: 2, nnodes: 1, nodeRank: undefined, masterAddr: undefined, masterPort: undefined, script: bin, args: ['train', 'simclr'] },
        { nprocPerNode: 1, nnodes: undefined, nodeRank: undefined, masterAddr: undefined, masterPort: undefined, script: bin, args: ['eval', 'x'] },
        { nprocPerNode: 3, nnodes: 2, nodeRank: 1, masterAddr: 'h', masterPort: 29501, script: bin, args: ['train'] },
      ]);
      assert.equal(await messageOf(() => launchRanks({ nprocPerNode: 1, nnodes: 2 }, ['train'])),
        '--nnodes > 1 needs --master-addr (the address of node 0, reachable from every machine)');
    } finally {
      (launchModule as { launch: typeof real }).launch = real;
    }
  });

  it('each launcher flag names itself when its value is refused', async () => {
    for (const [flag, value, min] of [['--nproc-per-node', '0', 1], ['--nnodes', 'x', 1], ['--node-rank', '-1', 0], ['--master-port', '1.5', 1]] as const) {
      assert.equal(await messageOf(() => quietProgram().parseAsync(['node', 'selfsup', 'train', 'simclr', flag, value])),
        `error: option '${flag} <${flag === '--node-rank' ? 'r' : flag === '--master-port' ? 'port' : 'n'}>' argument '${value}' is invalid. ` +
        `Expected an integer >= ${min} for ${flag} but received ${value}`);
    }
  });
});
