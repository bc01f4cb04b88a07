// How glibc's malloc gives freed CPU memory back to the system, and why
// selfsup keeps it instead (issue 19).
//
// libtorch's CPU tensors come from malloc. With glibc's defaults a block of
// 128 KiB or more (a threshold glibc raises, up to 32 MiB, as such blocks are
// freed) gets its own mmap and goes back to the kernel when freed, and free
// memory at the top of the heap beyond 128 KiB is trimmed. A training step
// frees and allocates the same large activations every step, so the kernel
// maps and zeroes their pages again each time: a minor page fault per 4 KiB.
// Measured on the 2-core VM (profile:step, small scale, one thread): BYOL's
// step 11,489-16,098 faults, SimCLR's 4,652-11,502; the 56 px evaluation
// with 512-image batches spent 1.6-3.2 s of its 3.2-4.5 s in the kernel.
// Keeping freed memory in the process (blocks up to 128 MiB from the heap,
// up to 1 GiB of free heap top kept) took the faults to 3-282 and the
// kernel's share to 0.3 s, with the same peak resident memory: a step's
// freed memory is what the next step allocates again. PyTorch's CPU tuning
// guide gets the same from jemalloc or tcmalloc; selfsup sets glibc's two
// thresholds (mallopt) when the addon loads, unless the user chose: any of
// glibc's MALLOC_*_ variables, a `glibc.malloc.` tunable in GLIBC_TUNABLES,
// another allocator in LD_PRELOAD, or SELFSUP_HOST_MALLOC=system.
//
// The cost: memory a process freed stays mapped to it (up to its peak use)
// instead of going back to the system between steps. The threshold was 512
// MiB until 2026-12-05: the evaluation's feature matrices (60,000 x 1,600
// floats, 384 MB a copy) then came from the heap too, and the holes they left
// raised the context encoder's evaluation peak from 1.42 GB (glibc's own) to
// 2.47 GB; at 128 MiB it is 1.57 GB (2.09 at 256 MiB), and a training step's
// activations (BYOL's largest 64 MiB) are still reused (docs/training.md).

/** Who chose the malloc thresholds this process runs with. */
export type HostMallocSource = 'selfsup' | 'environment' | 'SELFSUP_HOST_MALLOC' | 'unsupported';

/** The malloc thresholds this process runs with and who chose them. */
export interface HostMallocSetting {
  /** Bytes from which a block gets its own mmap (returned to the system when freed); null: glibc's own. */
  mmapThreshold: number | null;
  /** Bytes of free memory at the top of the heap kept before trimming; null: glibc's own. */
  trimThreshold: number | null;
  source: HostMallocSource;
  /** One line for people (`selfsup info`'s malloc row). */
  detail: string;
}

/** Blocks up to this size come from the heap and are reused: 128 MiB. */
export const KEPT_MMAP_THRESHOLD = 128 * 2 ** 20;
/** Free heap top kept up to this size: 1 GiB. */
export const KEPT_TRIM_THRESHOLD = 2 ** 30;

const GLIBC_MALLOC_VARIABLES = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_', 'MALLOC_MMAP_MAX_'];
const OTHER_ALLOCATOR = /(jemalloc|tcmalloc|mimalloc)/;

/** The kept thresholds in words: 'mmap threshold 128 MiB, trim threshold 1 GiB'. */
export const KEPT_THRESHOLDS_TEXT = `mmap threshold ${KEPT_MMAP_THRESHOLD / 2 ** 20} MiB, trim threshold ${KEPT_TRIM_THRESHOLD / 2 ** 30} GiB`;

const KEPT_DETAIL = `freed memory kept in the process by selfsup (${KEPT_THRESHOLDS_TEXT}; ` +
  "SELFSUP_HOST_MALLOC=system for glibc's defaults)";

/** The allocator's own thresholds (selfsup sets none), with why for people. */
const notKept = (why: string, source: HostMallocSource): HostMallocSetting =>
  ({ mmapThreshold: null, trimThreshold: null, source, detail: `freed memory: ${why}` });

/**
 * The thresholds selfsup sets for a process with environment `env`, or glibc's own where the
 * user chose (see the top of this file). `apply` says whether selfsup calls mallopt.
 *
 * @example hostMallocFor({}).setting.mmapThreshold // 134217728
 * @example hostMallocFor({ SELFSUP_HOST_MALLOC: 'system' }).apply // false
 */
export function hostMallocFor(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform):
    { apply: boolean; setting: HostMallocSetting } {
  if (platform !== 'linux') return { apply: false, setting: notKept(`the system allocator's defaults (${platform}: not glibc)`, 'unsupported') };
  const choice = env.SELFSUP_HOST_MALLOC;
  if (choice === 'system') return { apply: false, setting: notKept("glibc's defaults (SELFSUP_HOST_MALLOC=system)", 'SELFSUP_HOST_MALLOC') };
  const ignored = choice !== undefined && choice !== '' && choice !== 'keep'
    ? `; SELFSUP_HOST_MALLOC='${choice}' ignored (not 'keep' or 'system')` : '';
  const named = GLIBC_MALLOC_VARIABLES.find((v) => env[v] !== undefined && env[v] !== '');
  const tunable = /(^|:)glibc\.malloc\./.test(env.GLIBC_TUNABLES ?? '');
  const preload = OTHER_ALLOCATOR.exec(env.LD_PRELOAD ?? '');
  const user = named !== undefined ? `${named}=${env[named]}` : tunable ? `GLIBC_TUNABLES=${env.GLIBC_TUNABLES}`
    : preload !== null ? `${preload[1]} in LD_PRELOAD` : null;
  if (user !== null) return { apply: false, setting: notKept(`the user's thresholds (${user})${ignored}`, 'environment') };
  return { apply: true, setting: { mmapThreshold: KEPT_MMAP_THRESHOLD, trimThreshold: KEPT_TRIM_THRESHOLD, source: 'selfsup',
    detail: KEPT_DETAIL + ignored } };
}

/** What the addon's mallopt call answered. */
export interface MallocAnswer { glibc: boolean; mmap: boolean; trim: boolean }

/**
 * The setting after the addon applied `planned` (or could not): glibc's own when the addon has no
 * setMallocThresholds (built before it), the C library is not glibc, or glibc refused a value.
 *
 * @example appliedHostMalloc(hostMallocFor({}), { glibc: true, mmap: true, trim: true }).source // 'selfsup'
 */
export function appliedHostMalloc(planned: { apply: boolean; setting: HostMallocSetting }, answer: MallocAnswer | undefined):
    HostMallocSetting {
  if (!planned.apply) return planned.setting;
  if (answer === undefined) return notKept("glibc's defaults (this addon predates setMallocThresholds)", 'unsupported');
  if (!answer.glibc) return notKept("the system allocator's defaults (the C library is not glibc)", 'unsupported');
  if (!answer.mmap || !answer.trim) {
    return notKept(`glibc's defaults (glibc refused the ${!answer.mmap ? 'mmap' : 'trim'} threshold)`, 'unsupported');
  }
  return planned.setting;
}

let current: HostMallocSetting | null = null;

/** Records what the addon load set (what `hostMalloc()` reports). @example recordHostMalloc(hostMallocFor({}).setting) */
export function recordHostMalloc(setting: HostMallocSetting): void {
  current = setting;
}

/**
 * The malloc thresholds this process runs with and who chose them; null before the addon is loaded.
 *
 * @example torch.hostMalloc()?.source // 'selfsup'
 */
export function hostMalloc(): HostMallocSetting | null {
  return current;
}
