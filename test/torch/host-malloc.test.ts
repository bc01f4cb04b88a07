// selfsup keeps freed CPU memory in the process (lib/torch/host-malloc.ts):
// who decides, what `torch.hostMalloc()` reports, and that the thresholds
// reach glibc, seen by their effect: a freed 64 MiB tensor allocated again
// costs no page faults, where glibc's defaults map and zero it again.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { appliedHostMalloc, hostMallocFor, KEPT_MMAP_THRESHOLD, KEPT_TRIM_THRESHOLD } from '../../lib/torch/host-malloc';
import { native } from '../../lib/torch/native';

const KEEP = "freed memory kept in the process by selfsup (mmap threshold 128 MiB, trim threshold 1 GiB; SELFSUP_HOST_MALLOC=system for glibc's defaults)";
const MIB64 = 16 * 2 ** 20; // float32 elements
const MIB60 = 15 * 2 ** 20;

/**
 * Minor page faults of allocating and filling a 60 MiB tensor after a 64 MiB one was freed, in a fresh process
 * with `env`. Kept, the freed block serves it. (Not a second 64 MiB tensor: libtorch asks for 64-byte-aligned
 * memory, and glibc's aligned allocation needs a free chunk slightly larger than the block it hands out, so an
 * exact-size freed chunk fits only once it has merged with a free neighbour: not deterministic.)
 */
function refillFaults(env: NodeJS.ProcessEnv): { faults: number; source: string | undefined } {
  const lib = JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'torch'));
  const code = `const torch = require(${lib}); torch.ones([${MIB64}]).dispose(); const f0 = process.resourceUsage().minorPageFault; ` +
    `torch.ones([${MIB60}]).dispose(); ` +
    'console.log(JSON.stringify({ faults: process.resourceUsage().minorPageFault - f0, source: torch.hostMalloc()?.source }))';
  return JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8', env })) as { faults: number; source: string | undefined };
}

/** This environment without any malloc setting of the user's. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^MALLOC_|^GLIBC_TUNABLES$|^SELFSUP_HOST_MALLOC$|^LD_PRELOAD$/.test(k)) delete env[k];
  return { ...env, ...extra };
}

describe('torch: freed CPU memory stays in the process (host malloc thresholds)', function () {
  this.timeout(60_000);

  it('keeps freed memory by default, and leaves the allocator to the user who chose', () => {
    assert.deepEqual(hostMallocFor({}, 'linux'), { apply: true, setting: { mmapThreshold: 134217728, trimThreshold: 1073741824, source: 'selfsup', detail: KEEP } });
    assert.deepEqual(hostMallocFor({ SELFSUP_HOST_MALLOC: 'keep' }, 'linux'), hostMallocFor({}, 'linux'));
    assert.deepEqual(hostMallocFor({ SELFSUP_HOST_MALLOC: '' }, 'linux'), hostMallocFor({}, 'linux'));
    const rows: [NodeJS.ProcessEnv, string][] = [
      [{ MALLOC_MMAP_THRESHOLD_: '65536' }, "freed memory: the user's thresholds (MALLOC_MMAP_THRESHOLD_=65536)"],
      [{ MALLOC_TRIM_THRESHOLD_: '0' }, "freed memory: the user's thresholds (MALLOC_TRIM_THRESHOLD_=0)"],
      [{ MALLOC_TOP_PAD_: '1' }, "freed memory: the user's thresholds (MALLOC_TOP_PAD_=1)"],
      [{ MALLOC_MMAP_MAX_: '0' }, "freed memory: the user's thresholds (MALLOC_MMAP_MAX_=0)"],
      [{ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX2:glibc.malloc.trim_threshold=0' },
        "freed memory: the user's thresholds (GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2:glibc.malloc.trim_threshold=0)"],
      [{ LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' }, "freed memory: the user's thresholds (jemalloc in LD_PRELOAD)"],
      [{ LD_PRELOAD: 'libtcmalloc_minimal.so.4', SELFSUP_HOST_MALLOC: 'yes' },
        "freed memory: the user's thresholds (tcmalloc in LD_PRELOAD); SELFSUP_HOST_MALLOC='yes' ignored (not 'keep' or 'system')"],
    ];
    for (const [env, detail] of rows) {
      assert.deepEqual(hostMallocFor(env, 'linux'), { apply: false, setting: { mmapThreshold: null, trimThreshold: null, source: 'environment', detail } },
        JSON.stringify(env));
    }
    assert.deepEqual(hostMallocFor({ SELFSUP_HOST_MALLOC: 'system' }, 'linux'), { apply: false,
      setting: { mmapThreshold: null, trimThreshold: null, source: 'SELFSUP_HOST_MALLOC', detail: "freed memory: glibc's defaults (SELFSUP_HOST_MALLOC=system)" } });
    // Another tunable, an empty variable or another preloaded library is not a malloc choice.
    for (const env of [{ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX2' }, { MALLOC_TRIM_THRESHOLD_: '' }, { LD_PRELOAD: '/usr/lib/libfoo.so' }]) {
      assert.equal(hostMallocFor(env, 'linux').apply, true, JSON.stringify(env));
    }
    assert.equal(hostMallocFor({ SELFSUP_HOST_MALLOC: 'maybe' }, 'linux').setting.detail, `${KEEP}; SELFSUP_HOST_MALLOC='maybe' ignored (not 'keep' or 'system')`);
    assert.deepEqual(hostMallocFor({}, 'darwin'), { apply: false,
      setting: { mmapThreshold: null, trimThreshold: null, source: 'unsupported', detail: "freed memory: the system allocator's defaults (darwin: not glibc)" } });
    assert.equal(KEPT_MMAP_THRESHOLD, 128 * 2 ** 20);
    assert.equal(KEPT_TRIM_THRESHOLD, 2 ** 30);
  });

  it('reports what glibc accepted, not what was planned', () => {
    const planned = hostMallocFor({}, 'linux');
    assert.equal(appliedHostMalloc(planned, { glibc: true, mmap: true, trim: true }), planned.setting);
    const rows: [Parameters<typeof appliedHostMalloc>[1], string][] = [
      [undefined, "freed memory: glibc's defaults (this addon predates setMallocThresholds)"],
      [{ glibc: false, mmap: false, trim: false }, "freed memory: the system allocator's defaults (the C library is not glibc)"],
      [{ glibc: true, mmap: false, trim: true }, "freed memory: glibc's defaults (glibc refused the mmap threshold)"],
      [{ glibc: true, mmap: true, trim: false }, "freed memory: glibc's defaults (glibc refused the trim threshold)"],
    ];
    for (const [answer, detail] of rows) {
      assert.deepEqual(appliedHostMalloc(planned, answer), { mmapThreshold: null, trimThreshold: null, source: 'unsupported', detail });
    }
    const users = hostMallocFor({ MALLOC_TRIM_THRESHOLD_: '0' }, 'linux');
    assert.equal(appliedHostMalloc(users, undefined), users.setting, 'nothing was to be applied');
  });

  it('this process: set when the addon loaded, and the addon refuses bad thresholds by name', () => {
    assert.deepEqual(torch.hostMalloc(), appliedHostMalloc(hostMallocFor(process.env), { glibc: true, mmap: true, trim: true }));
    assert.throws(() => native.setMallocThresholds!(-1, 0), { name: 'RangeError',
      message: 'setMallocThresholds: each threshold must be a whole number of bytes from 0 to 2147483647' });
    assert.throws(() => native.setMallocThresholds!(2 ** 31, 0), /from 0 to 2147483647/);
    assert.throws(() => native.setMallocThresholds!(1.5, 0), /whole number of bytes/);
    assert.throws(() => (native.setMallocThresholds as (...a: unknown[]) => unknown)('1', 0),
      { name: 'TypeError', message: 'setMallocThresholds(mmapBytes, trimBytes) takes two numbers' });
    assert.deepEqual(native.setMallocThresholds!(KEPT_MMAP_THRESHOLD, KEPT_TRIM_THRESHOLD), { glibc: true, mmap: true, trim: true });
  });

  it('reaches glibc: a freed 64 MiB block serves a 60 MiB tensor without page faults; glibc\'s defaults take 15,360', () => {
    const kept = refillFaults(cleanEnv({}));
    const system = refillFaults(cleanEnv({ SELFSUP_HOST_MALLOC: 'system' }));
    const users = refillFaults(cleanEnv({ MALLOC_TRIM_THRESHOLD_: '131072' }));
    assert.equal(kept.source, 'selfsup');
    assert.equal(system.source, 'SELFSUP_HOST_MALLOC');
    assert.equal(users.source, 'environment');
    assert.ok(kept.faults < 1000, `kept: ${kept.faults} faults`);
    // 60 MiB of 4 KiB pages mapped and zeroed again.
    assert.ok(system.faults >= 15_360, `glibc's defaults: ${system.faults} faults`);
    assert.ok(users.faults >= 15_360, `the user's thresholds: ${users.faults} faults`);
  });
});
