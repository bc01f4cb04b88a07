// Two Node ranks (child processes, Gloo over 127.0.0.1) run every collective
// on known inputs; each rendezvous kind (env://, file://) is exercised.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { torch } from '../../../lib';
import { describeRuns, freePort, runRanks, tempDir, worker } from './ranks';

const hasGloo = torch.distributed.isBackendAvailable('gloo');

describe('torch.distributed collectives (2 Node ranks, Gloo)', function () {
  this.timeout(120000);
  before(function () {
    if (!hasGloo) throw new Error('this addon has no gloo backend: install libgloo-dev and run npm run build:native');
  });

  it('all-reduces (sum, avg, product, min, max), broadcasts, all-gathers, reduce-scatters over env://', async () => {
    const port = await freePort();
    const node = { command: process.execPath, args: [worker('collectives')] };
    const runs = await runRanks([node, node], { MASTER_PORT: String(port), INIT_METHOD: 'env://' });
    assert.ok(runs.every((r) => r.code === 0 && r.report), describeRuns(runs));
    const [a, b] = runs.map((r) => r.report as Record<string, unknown>);
    assert.deepEqual([a.rank, b.rank, a.world, a.backend, a.initialized, a.afterDestroy], [0, 1, 2, 'gloo', true, false]);
    for (const r of [a, b]) {
      assert.deepEqual(r.sum, [3, 30, -1]);
      assert.deepEqual(r.avg, [1.5, 15, -0.5]);
      assert.deepEqual(r.product, [2, 200, 0]); // -0 after JSON
      assert.deepEqual(r.min, [1, 10, -1]);
      assert.deepEqual(r.max, [2, 20, 0]);
      assert.deepEqual(r.broadcast, [2, 20, -1]);
      assert.deepEqual(r.allGather, [[1, 10, 0], [2, 20, -1]]);
      assert.deepEqual(r.gathered, [[2, 4], [4, 6]]);
    }
    assert.deepEqual(a.reduceScatter, [1, 2]);
    assert.deepEqual(b.reduceScatter, [10, 4]);
    // d(sum over ranks of loss)/dx_r = 2 * (1 + 2) * w[r]
    assert.deepEqual(a.gatherGrad, [[6, 12]]);
    assert.deepEqual(b.gatherGrad, [[18, 24]]);
    // rank 0 waited ~400 ms in the barrier with 5 ms timers: the loop kept turning
    assert.ok((a.ticksDuringBarrier as number) >= 10, `event loop blocked: ${String(a.ticksDuringBarrier)} ticks`);
    assert.match(String(a.timeout), /^allReduce: .*time/i);
    assert.match(String(b.lateJoin), /^ok$|^allReduce: .*Connection closed by peer/);
  });

  it('meets through file:// (FileStore) too', async () => {
    const tmp = tempDir();
    try {
      const node = { command: process.execPath, args: [worker('collectives')] };
      const init = `file://${path.join(tmp.dir, 'store')}`;
      const runs = await runRanks([node, node], { INIT_METHOD: init, MASTER_ADDR: '', MASTER_PORT: '' });
      assert.ok(runs.every((r) => r.code === 0 && r.report), describeRuns(runs));
      assert.deepEqual(runs[1].report?.sum, [3, 30, -1]);
    } finally {
      tmp.remove();
    }
  });

  it('rejects a rendezvous that never completes within the timeout, naming it', async function () {
    const port = await freePort();
    // a world of 2 where rank 1 never comes
    const script = `const { torch } = require(${JSON.stringify(path.resolve(__dirname, '../../../lib'))});
      torch.distributed.initProcessGroup({ initMethod: 'tcp://127.0.0.1:${port}', rank: 0, worldSize: 2, timeout: 1500 })
        .then(() => console.log('{"ok":true}'), (e) => console.log(JSON.stringify({ error: e.message })));`;
    const runs = await runRanks([{ command: process.execPath, args: ['-e', script] }], {}, 30000);
    assert.equal(runs[0].code, 0, describeRuns(runs));
    assert.match(String(runs[0].report?.error), /^initProcessGroup: /);
  });

  it('use_libuv reaches the TCPStore: libtorch 2.x without libuv refuses 1 by c10d\'s message, unset falls back', async () => {
    const join = async (query: string) => {
      const port = await freePort();
      const script = `const { torch } = require(${JSON.stringify(path.resolve(__dirname, '../../../lib'))});
        torch.distributed.initProcessGroup({ initMethod: 'tcp://127.0.0.1:${port}${query}', rank: 0, worldSize: 1, timeout: 20000 })
          .then(() => torch.distributed.destroyProcessGroup())
          .then(() => console.log('{"ok":true}'), (e) => console.log(JSON.stringify({ error: e.message })));`;
      const runs = await runRanks([{ command: process.execPath, args: ['-e', script] }], { USE_LIBUV: '' }, 30000);
      assert.equal(runs[0].code, 0, describeRuns(runs));
      return runs[0].report as { ok?: boolean; error?: string };
    };
    assert.deepEqual(await join(''), { ok: true });
    assert.deepEqual(await join('?use_libuv=0'), { ok: true });
    const asked = await join('?use_libuv=1');
    // 1.13 has only the classic server and ignores it (as its Python); a 2.x
    // build with libuv serves with it; one without refuses, as Python does.
    if (asked.ok !== true) {
      assert.ok(Number(torch.config().torchVersion.split('.')[0]) >= 2, String(asked.error));
      assert.match(String(asked.error), /^initProcessGroup: .*use_libuv was requested but PyTorch was buil[dt] without libuv support/);
    }
  });
});

describe('torch.distributed without a process group', () => {
  it('names the missing initProcessGroup', () => {
    assert.throws(() => torch.distributed.getRank(), /getRank: the default process group has not been initialized/);
    assert.equal(torch.distributed.isInitialized(), false);
  });

  it('resolves env://, tcp:// and file:// like torch.distributed, with clear errors', () => {
    const env = { MASTER_ADDR: '10.0.0.1', MASTER_PORT: '1234', RANK: '1', WORLD_SIZE: '4' };
    assert.deepEqual(torch.distributed.resolveRendezvous({}, env),
      { backend: 'gloo', rank: 1, worldSize: 4, timeoutMs: 1800000, store: 'tcp', host: '10.0.0.1', port: 1234, isServer: 0, useLibuv: -1 });
    assert.deepEqual(torch.distributed.resolveRendezvous({ initMethod: 'tcp://127.0.0.1:29500?rank=0&world_size=2', timeout: 5 }, {}),
      { backend: 'gloo', rank: 0, worldSize: 2, timeoutMs: 5, store: 'tcp', host: '127.0.0.1', port: 29500, isServer: 1, useLibuv: -1 });
    // TCPStore's libuv server as Python reads it: the use_libuv query, else USE_LIBUV; '1' or any other value.
    const libuv = (initMethod: string, e: NodeJS.ProcessEnv) => torch.distributed.resolveRendezvous({ initMethod }, { ...env, ...e }).useLibuv;
    assert.deepEqual([libuv('env://', { USE_LIBUV: '0' }), libuv('env://', { USE_LIBUV: '1' }), libuv('env://', { USE_LIBUV: 'true' }),
      libuv('env://?use_libuv=1', { USE_LIBUV: '0' }), libuv('tcp://h:1?use_libuv=0&rank=0&world_size=1', { USE_LIBUV: '1' }), libuv('env://', { USE_LIBUV: '' })],
    [0, 1, 0, 1, 0, -1]);
    assert.deepEqual(torch.distributed.resolveRendezvous({ initMethod: 'file:///tmp/x%20y', rank: 0, worldSize: 1 }, {}),
      { backend: 'gloo', rank: 0, worldSize: 1, timeoutMs: 1800000, store: 'file', path: '/tmp/x y' });
    assert.throws(() => torch.distributed.resolveRendezvous({}, {}), /needs the environment variable RANK/);
    assert.throws(() => torch.distributed.resolveRendezvous({ initMethod: 'tcp://h:1', rank: 2, worldSize: 2 }, {}),
      /Expected rank < worldSize but received rank 2 and worldSize 2/);
    assert.throws(() => torch.distributed.resolveRendezvous({ initMethod: 'udp://h:1', rank: 0, worldSize: 1 }, {}),
      /Expected initMethod 'env:\/\/', 'tcp:\/\/host:port' or 'file:\/\/\/path' but received 'udp:\/\/h:1'/);
    assert.throws(() => torch.distributed.resolveRendezvous({ backend: 'mpi' as 'gloo' }, env), /Expected backend 'gloo' or 'nccl'/);
    assert.throws(() => torch.distributed.resolveRendezvous({ timeout: -1 }, env), /timeout/);
  });
});
