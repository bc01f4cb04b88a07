// NCCL on the GPU machine (scripts/cuda/build-and-test.sh's tests stage, a
// libtorch 2.x CUDA wheel): a one-rank NCCL group through the whole stack the
// port touches (the rendezvous on a FileStore, the ProcessGroup around the
// NCCL backend, each collective on CUDA tensors, the all-gather's backward, a
// barrier, DDP's Reducer and its start-up broadcast, the library's host-value
// collectives on the rank's GPU). One GPU allows one NCCL rank (NCCL refuses
// two ranks on one device); with one rank every collective is the identity, so
// each result is known exactly. Without a GPU the tests are pending; with
// SELFSUP_TEST_DEVICE=cuda a missing GPU or a build without NCCL fails.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { torch, nn } from '../../../lib';
import { tempDir } from './ranks';

const dist = torch.distributed;
const available = torch.cuda.isAvailable();
const requested = process.env.SELFSUP_TEST_DEVICE === 'cuda';

(available || requested ? describe : describe.skip)('torch.distributed with NCCL (one rank on the GPU)', function () {
  this.timeout(120_000);
  let tmp: { dir: string; remove: () => void };

  before(async () => {
    assert.ok(available, 'SELFSUP_TEST_DEVICE=cuda but torch.cuda.isAvailable() is false');
    assert.ok(dist.isBackendAvailable('nccl'), `this CUDA build has no NCCL backend (backends: ${JSON.stringify(
      dist.isAvailable() ? ['gloo', 'nccl'].filter((b) => dist.isBackendAvailable(b)) : [])})`);
    tmp = tempDir();
    await dist.initProcessGroup({ backend: 'nccl', initMethod: `file://${path.join(tmp.dir, 'store')}`, rank: 0,
      worldSize: 1, timeout: 60_000 });
  });

  after(() => {
    if (dist.isInitialized()) dist.destroyProcessGroup();
    tmp?.remove();
  });

  it('is a group of one NCCL rank', () => {
    assert.deepEqual([dist.getBackend(), dist.getRank(), dist.getWorldSize()], ['nccl', 0, 1]);
  });

  it('all-reduces (sum, avg, max), broadcasts and all-gathers CUDA tensors: the identity on one rank', async () => {
    const values = [1.5, -2, 3.25];
    for (const op of ['sum', 'avg', 'max'] as const) {
      const t = torch.tensor(values, { dtype: 'float32' }).cuda();
      const out = await dist.allReduce(t, { op });
      assert.equal(out.device, 'cuda:0');
      assert.deepEqual(out.cpu().toArray(), values, op);
    }
    const b = await dist.broadcast(torch.tensor(values).cuda(), { src: 0 });
    assert.deepEqual(b.cpu().toArray(), values);
    const gathered = await dist.allGather(torch.tensor(values).cuda());
    assert.deepEqual(gathered.map((g) => g.cpu().toArray()), [values]);
    await dist.barrier();
  });

  it('all-gathers with gradient: the backward all-reduce gives this rank its own gradient', () => {
    const x = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' }).cuda().requiresGrad_();
    const all = dist.allGatherWithGrad(x.mul(3));
    assert.deepEqual(all.cpu().toArray(), [[3, 6], [9, 12]]);
    all.mul(torch.tensor([[1, 10], [100, 1000]], { dtype: 'float32' }).cuda()).sum().backward();
    assert.deepEqual(x.grad?.cpu().toArray(), [[3, 30], [300, 3000]]);
  });

  it('DDP on one rank: the same gradients as the module alone, through the Reducer\'s CUDA buckets', () => {
    torch.manualSeed(3);
    const make = () => new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2));
    const plain = make().to('cuda');
    const wrapped = make().to('cuda');
    wrapped.loadStateDict(plain.stateDict());
    const ddp = new nn.parallel.DistributedDataParallel(wrapped);
    const x = torch.randn([5, 4]).cuda();
    plain.forward(x).pow(2).sum().backward();
    ddp.forward(x).pow(2).sum().backward();
    const a = plain.parameters().map((p) => p.grad!.cpu().toArray());
    const b = wrapped.parameters().map((p) => p.grad!.cpu().toArray());
    assert.deepEqual(b, a);
    assert.ok((a.flat(2) as number[]).some((v) => v !== 0));
    ddp.dispose();
    plain.dispose();
  });

  it('the library\'s host-value collectives run on the rank\'s GPU and come back to the CPU', async () => {
    const { collectiveDevice, toCollectiveDevice } = await import('../../../lib/torch/distributed/collective-device');
    assert.equal(collectiveDevice(), 'cuda:0');
    const host = torch.tensor([2.5, 4], { dtype: 'float64' });
    const out = await dist.allReduce(toCollectiveDevice(host, collectiveDevice()), { op: 'sum' });
    assert.deepEqual(out.cpu().toArray(), [2.5, 4]);
  });
});
