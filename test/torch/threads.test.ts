// The intra-op thread default: every available core, unless OMP_NUM_THREADS
// or an explicit setting (torch.setNumThreads, a command's --threads) says
// otherwise. Fresh processes check the default, since this one has already
// loaded the addon.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { availableCores, cgroupCpuLimit, defaultThreads, ThreadSetting, WaitPolicy, waitPolicyFor } from '../../lib/torch/threads';

const lib = path.join(__dirname, '..', '..', 'lib', 'torch');

/** What a fresh Node process with `env` (OMP_NUM_THREADS removed unless given) reports. */
interface Fresh { threads: number; setting: ThreadSetting; wait: WaitPolicy; envAfter: string | null }

function fresh(env: Record<string, string>): Fresh {
  const clean = { ...process.env };
  for (const k of ['OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'GOMP_SPINCOUNT']) delete clean[k];
  const code = `const t = require(${JSON.stringify(lib)});
    process.stdout.write(JSON.stringify({ threads: t.getNumThreads(), setting: t.threadSetting(),
      wait: t.ompWaitPolicy(), envAfter: process.env.OMP_WAIT_POLICY ?? null }));`;
  const r = spawnSync(process.execPath, ['-e', code], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Fresh;
}

describe('torch threads', function () {
  this.timeout(120_000);

  it('starts libtorch with every available core by default', () => {
    const cores = availableCores();
    const r = fresh({});
    assert.equal(r.threads, cores.count);
    assert.equal(r.setting.source, 'available cores');
    assert.equal(r.setting.detail, `available cores: ${cores.detail}`);
    // Without a cgroup CPU limit the available cores are the CPU affinity mask's (what `nproc` counts).
    if (cgroupCpuLimit() === null) assert.equal(r.threads, os.availableParallelism());
  });

  it('lets OMP_NUM_THREADS win over the default, and ignores a value that is not a positive integer', () => {
    const three = fresh({ OMP_NUM_THREADS: '3' });
    assert.equal(three.threads, 3);
    assert.deepEqual(three.setting, { count: 3, source: 'OMP_NUM_THREADS', detail: 'OMP_NUM_THREADS=3' });
    assert.equal(fresh({ OMP_NUM_THREADS: '1' }).threads, 1);
    const bad = fresh({ OMP_NUM_THREADS: 'lots' });
    assert.equal(bad.threads, availableCores().count);
    assert.match(bad.setting.detail, /OMP_NUM_THREADS='lots' ignored \(not a positive integer\)/);
  });

  it('loads OpenMP with the passive wait policy unless the user chose one, without leaking it to children', () => {
    const d = fresh({});
    assert.deepEqual(d.wait, { value: 'PASSIVE', setBySelfsup: true });
    assert.equal(d.envAfter, null);
    const active = fresh({ OMP_WAIT_POLICY: 'ACTIVE' });
    assert.deepEqual(active.wait, { value: 'ACTIVE', setBySelfsup: false });
    assert.equal(active.envAfter, 'ACTIVE');
    // libgomp itself reports the policy it read at load (OMP_DISPLAY_ENV prints its settings on stderr).
    const clean = { ...process.env };
    for (const k of ['OMP_WAIT_POLICY', 'GOMP_SPINCOUNT']) delete clean[k];
    const shown = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(lib)})`],
      { env: { ...clean, OMP_DISPLAY_ENV: 'true' }, encoding: 'utf8', timeout: 60_000 });
    assert.match(shown.stderr, /OMP_WAIT_POLICY = 'PASSIVE'/, shown.stderr);
    assert.deepEqual(waitPolicyFor({ GOMP_SPINCOUNT: '10000' }),
      { value: 'libgomp default with GOMP_SPINCOUNT=10000', setBySelfsup: false });
  });

  it('reads the OpenMP nested-list form and the cgroup CPU limit', () => {
    assert.equal(defaultThreads({ OMP_NUM_THREADS: '4,2' }).count, 4);
    assert.equal(defaultThreads({}, { count: 6, detail: 'x' }).count, 6);
    const v2 = (text: string) => (f: string): string | null => (f === '/sys/fs/cgroup/cpu.max' ? text : null);
    assert.equal(cgroupCpuLimit(v2('max 100000\n')), null);
    assert.equal(cgroupCpuLimit(v2('150000 100000\n')), 2);
    assert.equal(cgroupCpuLimit(v2('50000 100000\n')), 1);
    const v1 = (f: string): string | null =>
      f === '/sys/fs/cgroup/cpu/cpu.cfs_quota_us' ? '300000\n' : f === '/sys/fs/cgroup/cpu/cpu.cfs_period_us' ? '100000\n' : null;
    assert.equal(cgroupCpuLimit(v1), 3);
    assert.equal(cgroupCpuLimit((f) => (f.endsWith('cfs_quota_us') ? '-1\n' : f.endsWith('cfs_period_us') ? '100000\n' : null)), null);
    assert.deepEqual(availableCores(8, 2), { count: 2, detail: 'affinity 8, cgroup CPU limit 2' });
    assert.deepEqual(availableCores(2, null), { count: 2, detail: 'affinity 2, no cgroup CPU limit' });
  });

  describe('explicit settings', () => {
    let before = 1;
    beforeEach(() => { before = torch.getNumThreads(); });
    afterEach(() => torch.setNumThreads(before));

    it('torch.setNumThreads sets libtorch and is reported as the source', () => {
      torch.setNumThreads(3);
      assert.equal(torch.getNumThreads(), 3);
      assert.deepEqual(torch.threadSetting(), { count: 3, source: 'torch.setNumThreads', detail: 'torch.setNumThreads(3)' });
    });
  });
});
