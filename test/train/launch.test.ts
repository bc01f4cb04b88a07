// selfsup's launcher: the torchrun environment per rank, a 2-rank run that
// meets through env://, and a failing rank that stops the others.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launch, LaunchError, rankEnv } from '../../lib/train/launch';
import { freePort, tempDir } from '../torch/distributed/ranks';

const LIB = path.resolve(__dirname, '../../lib');

function script(dir: string, body: string): string {
  const file = path.join(dir, 'rank.js');
  fs.writeFileSync(file, `const { torch } = require(${JSON.stringify(LIB)});
const fs = require('node:fs');
(async () => {
  await torch.distributed.initProcessGroup({ timeout: 20000 });
  const rank = torch.distributed.getRank();
  ${body}
  torch.distributed.destroyProcessGroup();
})().catch((e) => { console.error(e.message); process.exit(3); });
`);
  return file;
}

describe('launch (selfsup launch)', function () {
  this.timeout(120000);

  it('gives each rank the torchrun environment', () => {
    const env = rankEnv({ nprocPerNode: 2, nnodes: 2, nodeRank: 1, masterAddr: '10.1.2.3', masterPort: 1234, script: 'x.js' }, 1, {});
    assert.deepEqual([env.RANK, env.LOCAL_RANK, env.WORLD_SIZE, env.LOCAL_WORLD_SIZE, env.GROUP_RANK, env.MASTER_ADDR,
      env.MASTER_PORT, env.OMP_NUM_THREADS], ['3', '1', '4', '2', '1', '10.1.2.3', '1234', '1']);
    assert.equal(rankEnv({ nprocPerNode: 2, script: 'x.js' }, 0, { OMP_NUM_THREADS: '4' }).OMP_NUM_THREADS, '4');
    assert.throws(() => rankEnv({ nprocPerNode: 0, script: 'x.js' }, 0), /Expected an integer >= 1 for nprocPerNode but received 0/);
    assert.throws(() => rankEnv({ nprocPerNode: 1, nnodes: 2, nodeRank: 2, script: 'x.js' }, 0), /Expected nodeRank < nnodes/);
  });

  it('runs 2 ranks that all-reduce through env://', async () => {
    const tmp = tempDir();
    try {
      const file = script(tmp.dir, `const t = torch.tensor([rank + 1]);
  await torch.distributed.allReduce(t);
  fs.writeFileSync(require('node:path').join(${JSON.stringify(tmp.dir)}, 'out' + rank), String(t.item()) + ' ' + process.env.WORLD_SIZE);`);
      await launch({ nprocPerNode: 2, masterPort: await freePort(), script: file, env: { GLOO_SOCKET_IFNAME: 'lo' } });
      assert.equal(fs.readFileSync(path.join(tmp.dir, 'out0'), 'utf8'), '3 2');
      assert.equal(fs.readFileSync(path.join(tmp.dir, 'out1'), 'utf8'), '3 2');
    } finally {
      tmp.remove();
    }
  });

  it('stops the other ranks when one fails and names it', async () => {
    const tmp = tempDir();
    try {
      // rank 1 fails; rank 0 would wait in the barrier for the whole timeout
      const file = script(tmp.dir, `if (rank === 1) throw new Error('boom on rank 1');
  await torch.distributed.barrier();`);
      const started = Date.now();
      await assert.rejects(launch({ nprocPerNode: 2, masterPort: await freePort(), script: file, killGraceMs: 2000,
        env: { GLOO_SOCKET_IFNAME: 'lo' } }), (e: unknown) => {
        assert.ok(e instanceof LaunchError);
        assert.equal(e.rank, 1);
        assert.equal(e.exitCode, 3);
        assert.match(e.message, /^rank 1 failed \(exit code 3\); the other ranks were stopped/);
        assert.match(e.message, /boom on rank 1/);
        return true;
      });
      assert.ok(Date.now() - started < 15000, 'rank 0 was not stopped before its 20 s timeout');
    } finally {
      tmp.remove();
    }
  });
});
