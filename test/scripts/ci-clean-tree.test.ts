// CI fails when `npm install` leaves the repository dirty (.ci/run runs
// .ci/check-clean-tree.sh right after it): the check, on a scratch repository.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const root = repoRoot();
const script = path.join(root, '.ci', 'check-clean-tree.sh');

describe('.ci: the clean-tree check after npm install', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-ci-'));
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
    git('init', '-q');
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}\n');
    fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
    git('add', '.');
    git('-c', 'user.name=ci', '-c', 'user.email=ci@example.com', 'commit', '-qm', 'init');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const check = (): { status: number | null; out: string } => {
    const r = spawnSync('bash', [script], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  it('passes on a clean tree (ignored folders do not count)', () => {
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    assert.deepEqual(check(), { status: 0, out: 'the repository is as committed\n' });
  });

  it('fails, naming the file, when the install rewrote the lockfile or left a new file', () => {
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{ "bin": {} }\n');
    const modified = check();
    assert.equal(modified.status, 1);
    assert.match(modified.out, /M package-lock\.json/);
    execFileSync('git', ['checkout', '--', 'package-lock.json'], { cwd: dir });
    fs.writeFileSync(path.join(dir, 'native-addon.json'), '{}\n');
    const added = check();
    assert.equal(added.status, 1);
    assert.match(added.out, /\?\? native-addon\.json/);
  });

  it('runs in .ci/run right after npm install', () => {
    const ci = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    assert.match(ci, /\nnpm install\n\nstage "[^"]*"\nbash \.ci\/check-clean-tree\.sh\n/);
  });
});
