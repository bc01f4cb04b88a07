// The project's install-script policy (package.json `allowScripts`): npm 11
// warns about every dependency with an install script it does not name, and
// npm 12 blocks those. Each one gets a decision here, so a new dependency
// with an install script fails this test until it gets one.
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './package-fixture';

interface LockEntry { hasInstallScript?: boolean }

const root = repoRoot();
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** Package names (nested ones too) that the lock file says have an install script; not the project itself. */
function withInstallScripts(): string[] {
  const names = Object.entries(lock.packages)
    .filter(([where, entry]) => where !== '' && entry.hasInstallScript)
    .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
  return [...new Set(names)].sort();
}

describe('install: the install-script policy (package.json allowScripts)', () => {
  it('names every locked dependency that has an install script, and nothing else', () => {
    const policy = pkg.allowScripts ?? {};
    assert.deepEqual(Object.keys(policy).sort(), withInstallScripts());
  });

  it('denies onnxruntime-node (its postinstall downloads CUDA providers; the tests use the CPU runtime it ships), and .npmrc skips it for npm 11, which runs denied scripts', () => {
    assert.equal(pkg.allowScripts?.['onnxruntime-node'], false);
    const npmrc = fs.readFileSync(path.join(root, '.npmrc'), 'utf8');
    assert.match(npmrc, /^onnxruntime-node-install=skip$/m);
  });

  it('npm itself finds no unreviewed install script in this checkout (npm with `install-scripts`)', function () {
    const r = childProcess.spawnSync('npm', ['install-scripts', 'ls', '--json'], { cwd: root, encoding: 'utf8', timeout: 60000 });
    // npm before 11.x has no `install-scripts` command (Debian 13's npm 9): the policy is then only read by the first test.
    if (r.status !== 0 && /Unknown command|not a valid command|Usage: npm <command>/i.test(r.stdout + r.stderr)) this.skip();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { allowScripts: [] });
  });
});
