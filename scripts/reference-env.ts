// The environment the PyTorch reference of scripts/profile-step.ts runs in, so
// that both sides of a host-time comparison run the same thread pools with
// the same wait policy (issue 19).
//
// Why: selfsup's addon links Debian's OpenMP build of OpenBLAS, which runs on
// libtorch's libgomp threads and so follows torch.setNumThreads and
// OMP_WAIT_POLICY (docs/shipping.md, "BLAS for Debian's libtorch"). Debian's
// python3-torch loads the system default, the pthread build, which keeps its
// own pool of one thread per core whatever torch.set_num_threads says, and
// whose idle workers spin before they sleep. Measured on the 2-core VM with
// `--threads 1` (idle, main at e8e3e25): the reference's steps took 1.2-2x
// more CPU time than wall time (DINO 64 ms of CPU in a 32 ms step) while
// Node's took 1.0x; on a shared machine the same spinning steals the core its
// partner waits for. The reference therefore gets the BLAS build Node loaded,
// first on LD_LIBRARY_PATH (python3-torch links libblas.so.3 and
// libopenblas.so.0 by soname, so that folder's libraries are the ones it
// maps), and Node's OpenMP wait policy.
//
// Likewise selfsup keeps freed CPU memory in the process (glibc's mmap and
// trim thresholds, set with mallopt when the addon loads: lib/torch/host-malloc.ts),
// which saves the page faults of re-allocated activations (BYOL's step: 11,000-
// 16,000 a step on glibc's defaults). The reference gets the same two
// thresholds as glibc tunables, so a comparison measures the frameworks, not
// the allocator setting; a PyTorch user gets the same from GLIBC_TUNABLES,
// jemalloc or tcmalloc (PyTorch's CPU tuning guide).
import * as path from 'node:path';
import { WaitPolicy } from '../lib/torch/threads';
import { HostMallocSetting } from '../lib/torch/host-malloc';

/** What the reference's environment copies from this process. */
export interface ReferenceSetting {
  /** Node's OpenMP wait policy (`torch.ompWaitPolicy()`), copied when selfsup chose it. */
  waitPolicy: WaitPolicy | null;
  /** The BLAS library this process mapped (`detectBlas(loadedLibraries(), ...)`.path), or null. */
  blasPath: string | null;
  /** Node's malloc thresholds (`torch.hostMalloc()`), copied as glibc tunables when selfsup chose them. */
  hostMalloc?: HostMallocSetting | null;
}

/**
 * GLIBC_TUNABLES with glibc's mmap and trim thresholds set to `m`'s, after the tunables already in `base`.
 *
 * @example mallocTunables(undefined, { mmapThreshold: 134217728, trimThreshold: 1073741824, source: 'selfsup', detail: '' })
 * // 'glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=1073741824'
 */
export function mallocTunables(base: string | undefined, m: HostMallocSetting): string {
  const mine = `glibc.malloc.mmap_threshold=${m.mmapThreshold}:glibc.malloc.trim_threshold=${m.trimThreshold}`;
  return base === undefined || base === '' ? mine : `${base}:${mine}`;
}

/**
 * The folder of one of Debian's OpenBLAS builds (`.../openblas-openmp`,
 * `-pthread`, `-serial`) that holds `file`, or null for any other BLAS.
 *
 * @example openblasBuildFolder('/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3') // '/usr/lib/x86_64-linux-gnu/openblas-openmp'
 */
export function openblasBuildFolder(file: string | null): string | null {
  if (file === null) return null;
  const dir = path.dirname(file);
  return /^openblas-(openmp|pthread|serial)$/.test(path.basename(dir)) ? dir : null;
}

/**
 * `base` with what makes the reference run like this process: OMP_WAIT_POLICY
 * and the malloc thresholds (as GLIBC_TUNABLES) when selfsup chose them (the
 * user's own settings are already in `base` and reach both sides), and the
 * folder of this process's OpenBLAS build first on LD_LIBRARY_PATH.
 *
 * @example
 * referenceEnv({}, { waitPolicy: { value: 'PASSIVE', setBySelfsup: true }, blasPath: '/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3' })
 * // { OMP_WAIT_POLICY: 'PASSIVE', LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp' }
 */
export function referenceEnv(base: NodeJS.ProcessEnv, s: ReferenceSetting): NodeJS.ProcessEnv {
  const env = { ...base };
  if (s.waitPolicy?.setBySelfsup === true) env.OMP_WAIT_POLICY = s.waitPolicy.value;
  if (s.hostMalloc?.source === 'selfsup') env.GLIBC_TUNABLES = mallocTunables(base.GLIBC_TUNABLES, s.hostMalloc);
  const folder = openblasBuildFolder(s.blasPath);
  if (folder !== null) {
    const rest = (base.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '' && d !== folder);
    env.LD_LIBRARY_PATH = [folder, ...rest].join(':');
  }
  return env;
}

/**
 * The header line that says which BLAS each side ran on, with a warning when
 * the builds differ (the comparison is then not like for like).
 *
 * @example blasLine('OpenBLAS (openmp)', '/a/openblas-openmp/libblas.so.3', '/a/openblas-openmp/libopenblasp-r0.3.21.so')
 * // 'BLAS OpenBLAS (openmp) on both sides (/a/openblas-openmp)'
 */
export function blasLine(nodeName: string, nodePath: string | null, pytorchPath: string | null): string {
  const nodeDir = nodePath === null ? null : path.dirname(nodePath);
  const pyDir = pytorchPath === null ? null : path.dirname(pytorchPath);
  if (nodeDir !== null && nodeDir === pyDir) return `BLAS ${nodeName} on both sides (${nodeDir})`;
  return `BLAS: Node ${nodeName} (${nodePath ?? 'not found'}), PyTorch ${pytorchPath ?? 'not found'}: ` +
    'WARNING, not the same build, so not the same BLAS threads';
}
