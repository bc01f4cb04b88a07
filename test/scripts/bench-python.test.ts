// Every PyTorch reference the benchmark scripts start runs on this process's
// BLAS build (issue 19, 17): runPythonBench (the bench-<name> scripts),
// runRanks (bench-ddp, bench-distributed) and the env profile-step and
// bench-gpu pass. A real python3-torch reports what it mapped.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { nodeBlas, pythonScript, referenceProcessEnv, runPythonBench, PYTHON } from '../../scripts/bench-python';
import { rankEnv, runRanks } from '../../scripts/bench-ranks';

interface ReferenceEnv {
  torch: string; blas: string | null; ompWaitPolicy: string | null; glibcTunables: string | null; threads: number; rank: string | null;
}

/** The wait policy a reference should see: selfsup's choice, else the user's. */
function expectedPolicy(): string | null {
  const mine = torch.ompWaitPolicy();
  return mine?.setBySelfsup === true ? mine.value : process.env.OMP_WAIT_POLICY ?? null;
}

describe('scripts: the benchmarks start their PyTorch reference on Node\'s BLAS build', function () {
  this.timeout(120_000);
  let blasDir: string;

  before(() => {
    torch.randn([8, 8]).matmul(torch.randn([8, 8])).dispose();
    const mine = nodeBlas().path;
    assert.ok(mine !== null, `this process maps a BLAS library (${nodeBlas().name})`);
    blasDir = path.dirname(mine);
  });

  it('runPythonBench: the reference maps the BLAS folder Node mapped, with the wait policy', () => {
    const ref = runPythonBench<ReferenceEnv>('bench_env.py', []);
    assert.ok(ref.blas !== null, 'the reference maps a BLAS library');
    assert.equal(path.dirname(ref.blas), blasDir);
    assert.equal(ref.ompWaitPolicy, expectedPolicy());
    // selfsup's malloc thresholds, as glibc tunables (the environment of this suite leaves them to selfsup).
    assert.equal(torch.hostMalloc()?.source, 'selfsup');
    assert.equal(ref.glibcTunables, 'glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=1073741824');
    assert.equal(referenceProcessEnv({}).LD_LIBRARY_PATH?.split(':')[0], blasDir);
  });

  it('runRanks: each PyTorch rank gets its rank, its thread budget and Node\'s BLAS build', async () => {
    const refs = await runRanks<ReferenceEnv>(PYTHON, [pythonScript('bench_env.py')], 2, 1);
    assert.deepEqual(refs.map((r) => r.rank), ['0', '1']);
    assert.deepEqual(refs.map((r) => r.threads), [1, 1]);
    for (const r of refs) assert.equal(r.blas === null ? null : path.dirname(r.blas), blasDir);
  });

  it('runRanks: Node ranks get the rendezvous variables and the extra ones, and their environment is not the reference\'s', async () => {
    const code = 'const e = process.env; console.log("ignored"); console.log(JSON.stringify([e.RANK, e.WORLD_SIZE, e.MASTER_ADDR, ' +
      'e.GLOO_SOCKET_IFNAME, e.OMP_NUM_THREADS, e.EXTRA, e.LD_LIBRARY_PATH ?? null, Number(e.MASTER_PORT) > 0]))';
    const outs = await runRanks<unknown[]>(process.execPath, ['-e', code], 3, 2, { EXTRA: 'x' });
    const ld = process.env.LD_LIBRARY_PATH ?? null;
    assert.deepEqual(outs, [0, 1, 2].map((r) => [String(r), '3', '127.0.0.1', 'lo', '2', 'x', ld, true]));
    assert.deepEqual(rankEnv(1, 4, 29500, 3, { A: 'b' }).MASTER_PORT, '29500');
  });

  it('runRanks: a rank that fails is named', async () => {
    await assert.rejects(runRanks(process.execPath, ['-e', 'process.exit(process.env.RANK === "1" ? 3 : 0)'], 2, 1),
      new RegExp(`${process.execPath.replace(/[/.]/g, '\\$&')} rank 1 exited with 3`));
  });
});
