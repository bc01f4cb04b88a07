// The command line of data-parallel training: what each rank reruns, the
// multi-machine check, joining from a torchrun-style environment, and
// `selfsup launch ... selfsup -- <command>`.
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as path from 'node:path';
import { joinFromEnv, launchRanks, withoutLaunchFlags } from '../../lib/cli/distributed-train';
import { packageVersion } from '../../lib/cli/main';
import { freePort } from '../torch/distributed/ranks';

const BIN = path.resolve(__dirname, '../../../bin/selfsup.js');

describe('selfsup train on several processes (command line)', function () {
  this.timeout(120000);

  it('each rank reruns the command without the launcher flags', () => {
    assert.deepEqual(withoutLaunchFlags(['train', 'simclr', '--nproc-per-node', '2', '--steps', '5', '--master-port=1234',
      '--nnodes', '1', '--node-rank', '0', '--master-addr', 'h'], ['--out', 'runs/a']),
    ['train', 'simclr', '--steps', '5', '--out', 'runs/a']);
  });

  it('refuses several machines without --master-addr', async () => {
    await assert.rejects(launchRanks({ nprocPerNode: 1, nnodes: 2 }, ['train']), /--nnodes > 1 needs --master-addr/);
  });

  it('a process outside a launched job stays alone', async () => {
    const place = await joinFromEnv('cpu', {});
    assert.equal(place.rank, 0);
    assert.equal(place.worldSize, 1);
    place.leave();
  });

  it('selfsup launch runs this command on every rank when the script is "selfsup"', async () => {
    const r = childProcess.spawnSync(process.execPath, [BIN, 'launch', '--nproc-per-node', '2', '--master-port',
      String(await freePort()), 'selfsup', '--', '--version'], { encoding: 'utf8', timeout: 100000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').filter((l) => l.trim() === packageVersion()).length, 2, r.stdout);
  });
});
