// The PyTorch reference of scripts/profile-step.ts runs with this process's
// OpenBLAS build and OpenMP wait policy (issue 19): the environment is built
// as documented, and a real python3-torch started with it maps the BLAS build
// that Node mapped.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { detectBlas, loadedLibraries } from '../../lib/cli/info';
import { blasLine, mallocTunables, openblasBuildFolder, referenceEnv } from '../../scripts/reference-env';
import { hostMallocFor } from '../../lib/torch/host-malloc';
import { PYTHON, repoRoot } from '../helpers/python-reference';

const OMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

describe('scripts: the reference environment of profile-step', function () {
  this.timeout(120_000);

  it('finds the folder of a Debian OpenBLAS build, and nothing for other BLAS libraries', () => {
    assert.equal(openblasBuildFolder(`${OMP}/libblas.so.3`), OMP);
    assert.equal(openblasBuildFolder('/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so'),
      '/usr/lib/x86_64-linux-gnu/openblas-pthread');
    assert.equal(openblasBuildFolder('/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'), null);
    assert.equal(openblasBuildFolder('/opt/intel/libmkl_rt.so.2'), null);
    assert.equal(openblasBuildFolder(null), null);
  });

  it('puts the BLAS folder first on LD_LIBRARY_PATH once, and copies the wait policy only when selfsup chose it', () => {
    const blasPath = `${OMP}/libblas.so.3`;
    const chosen = { value: 'PASSIVE', setBySelfsup: true };
    assert.deepEqual(referenceEnv({ A: '1' }, { waitPolicy: chosen, blasPath }), { A: '1', OMP_WAIT_POLICY: 'PASSIVE', LD_LIBRARY_PATH: OMP });
    assert.equal(referenceEnv({ LD_LIBRARY_PATH: `/x:${OMP}:/y` }, { waitPolicy: null, blasPath }).LD_LIBRARY_PATH, `${OMP}:/x:/y`);
    const users = referenceEnv({ OMP_WAIT_POLICY: 'ACTIVE' }, { waitPolicy: { value: 'ACTIVE', setBySelfsup: false }, blasPath: null });
    assert.deepEqual(users, { OMP_WAIT_POLICY: 'ACTIVE' }, 'the user\'s policy is already in the environment; no BLAS folder to add');
    const base = { LD_LIBRARY_PATH: '/x' };
    referenceEnv(base, { waitPolicy: chosen, blasPath });
    assert.deepEqual(base, { LD_LIBRARY_PATH: '/x' }, 'the caller\'s environment is left alone');
  });

  it('copies the malloc thresholds as glibc tunables only when selfsup chose them, after the user\'s other tunables', () => {
    const kept = hostMallocFor({}).setting;
    const tunables = 'glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=1073741824';
    assert.equal(mallocTunables(undefined, kept), tunables);
    assert.equal(referenceEnv({}, { waitPolicy: null, blasPath: null, hostMalloc: kept }).GLIBC_TUNABLES, tunables);
    assert.equal(referenceEnv({ GLIBC_TUNABLES: 'glibc.cpu.x86_rep_movsb_threshold=2048' }, { waitPolicy: null, blasPath: null, hostMalloc: kept })
      .GLIBC_TUNABLES, `glibc.cpu.x86_rep_movsb_threshold=2048:${tunables}`);
    const users = hostMallocFor({ MALLOC_TRIM_THRESHOLD_: '0' }).setting;
    assert.deepEqual(referenceEnv({ MALLOC_TRIM_THRESHOLD_: '0' }, { waitPolicy: null, blasPath: null, hostMalloc: users }),
      { MALLOC_TRIM_THRESHOLD_: '0' }, 'the user\'s setting is already in the environment');
    assert.deepEqual(referenceEnv({}, { waitPolicy: null, blasPath: null, hostMalloc: null }), {});
  });

  it('says when both sides ran one BLAS build, and warns when they did not', () => {
    assert.equal(blasLine('OpenBLAS (openmp)', `${OMP}/libblas.so.3`, `${OMP}/libopenblasp-r0.3.21.so`),
      `BLAS OpenBLAS (openmp) on both sides (${OMP})`);
    assert.match(blasLine('OpenBLAS (openmp)', `${OMP}/libblas.so.3`, '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3'),
      /WARNING, not the same build/);
    assert.match(blasLine('unknown', null, null), /Node unknown \(not found\), PyTorch not found: WARNING/);
  });

  it('starts python3-torch on the BLAS build this process loaded, with its wait policy', () => {
    torch.randn([8, 8]).matmul(torch.randn([8, 8])).dispose();
    const mine = detectBlas(loadedLibraries(), '');
    assert.ok(mine.path !== null, `this process maps a BLAS library (${mine.name})`);
    const env = referenceEnv(process.env, { waitPolicy: torch.ompWaitPolicy(), blasPath: mine.path });
    const code = `import sys, os, json; sys.path.insert(0, ${JSON.stringify(path.join(repoRoot(), 'scripts'))}); import profile_step; ` +
      'print(json.dumps([profile_step.blas_library(), os.environ.get("OMP_WAIT_POLICY")]))';
    const [theirs, policy] = JSON.parse(execFileSync(PYTHON, ['-c', code], { encoding: 'utf8', env }).trim()) as [string | null, string | null];
    assert.ok(theirs !== null, 'the reference maps a BLAS library');
    assert.equal(path.dirname(theirs), path.dirname(mine.path), `Node ${mine.path}, PyTorch ${theirs}`);
    assert.equal(policy, torch.ompWaitPolicy()?.setBySelfsup === true ? torch.ompWaitPolicy()?.value : process.env.OMP_WAIT_POLICY ?? null);
  });
});
