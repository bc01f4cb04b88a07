// scripts/chroot/check.sh's options reach what they choose, without a real
// chroot: --suite, SELFSUP_CHROOT_ROOT and SELFSUP_CHROOT_MIRROR are what
// debootstrap is given (a suite it has no script for fails at once, exit 3,
// "not run"); bad arguments are refused by name. The whole run (CI's Debian 13
// stage) is what proves the rest; --keep acts only after a run's tests.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const script = path.join(repoRoot(), 'scripts', 'chroot', 'check.sh');

function check(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; out: string } {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('scripts/chroot/check.sh: options', function () {
  this.timeout(150_000);

  it('refuses an unknown argument and a --suite without a value, naming them', () => {
    const unknown = check(['--suit', 'sid']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.out, /chroot\/check\.sh: unknown argument '--suit' \(--suite NAME, --keep, --prebuild DIR\)/);
    const bare = check(['--suite']);
    assert.notEqual(bare.status, 0);
    assert.match(bare.out, /--suite needs a Debian suite, e.g\. trixie or sid/);
    const noDir = check(['--prebuild']);
    assert.notEqual(noDir.status, 0);
    assert.match(noDir.out, /--prebuild needs a folder to copy the prebuilt addon into/);
    const badDir = check(['--prebuild', '/dev/null/prebuilds']);
    assert.equal(badDir.status, 2);
    assert.match(badDir.out, /chroot\/check\.sh: --prebuild \/dev\/null\/prebuilds is not a folder that can be made/);
  });

  it('--suite, SELFSUP_CHROOT_ROOT and SELFSUP_CHROOT_MIRROR reach debootstrap; its failure is "not run" (exit 3)', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-chroot-check-'));
    try {
      const root = path.join(dir, 'root');
      const r = check(['--suite', 'no-such-suite', '--keep'],
        { SELFSUP_CHROOT_ROOT: root, SELFSUP_CHROOT_MIRROR: 'http://127.0.0.1:9/debian' });
      assert.equal(r.status, 3, r.out);
      if (process.getuid?.() !== 0) {
        assert.match(r.out, /^no-such-suite: NOT RUN: needs root \(debootstrap, chroot, mounts\)/m);
        return;
      }
      assert.match(r.out, new RegExp(`^no-such-suite: debootstrap no-such-suite into ${root} \\(from http://127\\.0\\.0\\.1:9/debian\\)`, 'm'));
      assert.match(r.out, /^no-such-suite: NOT RUN: debootstrap failed \(log above\)/m);
      assert.deepEqual(fs.readdirSync(os.tmpdir()).filter((f) => /^tmp\./.test(f)), [], 'the debootstrap log is removed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
