// scripts/check-node.sh (the suite under another Node.js release, by hand):
// its arguments are refused by name, and a checkout without an install to
// borrow is "not run" (exit 3) before anything is fetched; with npm and the
// cached node replaced by stand-ins, VERSION and SELFSUP_NODE_CACHE choose the
// node that npm test runs under, its exit status is the script's, and --keep
// keeps the clone. The real runs are in docs/compatibility.md.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const script = path.join(repoRoot(), 'scripts', 'check-node.sh');

function run(file: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync('bash', [file, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('scripts/check-node.sh: arguments', () => {
  it('refuses a missing, doubled or malformed VERSION and an unknown option, naming them (exit 2)', () => {
    const cases: [string[], RegExp][] = [
      [[], /check-node\.sh: which Node\.js release\? e\.g\. bash scripts\/check-node\.sh 26/],
      [['26', '24'], /check-node\.sh: one VERSION only \(got '26' and '24'\)/],
      [['v26'], /check-node\.sh: VERSION 'v26' is not a release number like 26 or 24\.22\.3/],
      [['26.1.2.3'], /VERSION '26\.1\.2\.3' is not a release number/],
      [['--kep'], /check-node\.sh: unknown argument '--kep' \(VERSION, --keep\)/],
    ];
    for (const [args, message] of cases) {
      const r = run(script, args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.out}`);
      assert.match(r.out, message);
    }
  });

  it('VERSION and SELFSUP_NODE_CACHE pick the node npm test runs under; its status is returned; --keep keeps the clone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-check-node-'));
    try {
      // A checkout with an install to borrow (the script finds the repository from its own place).
      const repo = path.join(dir, 'repo');
      fs.mkdirSync(path.join(repo, 'scripts'), { recursive: true });
      fs.copyFileSync(script, path.join(repo, 'scripts', 'check-node.sh'));
      fs.mkdirSync(path.join(repo, 'node_modules'));
      fs.writeFileSync(path.join(repo, 'native-addon.json'), '{}\n');
      execFileSync('git', ['init', '-q'], { cwd: repo });
      execFileSync('git', ['add', 'scripts'], { cwd: repo });
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x'], { cwd: repo });
      // npm: `view` resolves 9 to 9.1.2 (a list, not in order), `pack` must not be needed, `test` reports its node.
      const stubs = path.join(dir, 'stubs');
      fs.mkdirSync(stubs);
      fs.writeFileSync(path.join(stubs, 'npm'), '#!/bin/sh\ncase "$1" in\n  view) echo \'["9.1.2", "9.0.10"]\' ;;\n' +
        '  test) echo "npm test under $(node --version) in $PWD"; exit 7 ;;\n  *) exit 1 ;;\nesac\n', { mode: 0o755 });
      // The cached release: a stand-in node that only says its version.
      const cache = path.join(dir, 'cache');
      fs.mkdirSync(path.join(cache, '9.1.2', 'package', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(cache, '9.1.2', 'package', 'bin', 'node'), '#!/bin/sh\necho v9.1.2-stand-in\n', { mode: 0o755 });
      const env = { ...process.env, PATH: `${stubs}:${process.env.PATH}`, SELFSUP_NODE_CACHE: cache };
      const r = spawnSync('bash', [path.join(repo, 'scripts', 'check-node.sh'), '9', '--keep'], { encoding: 'utf8', env, timeout: 60_000 });
      const out = `${r.stdout}${r.stderr}`;
      assert.equal(r.status, 7, out);
      const ran = /^npm test under v9\.1\.2-stand-in in (\S+)$/m.exec(out);
      assert.ok(ran, out);
      assert.match(out, /^node 9: npm test exited 7/m);
      assert.match(out, new RegExp(`^node 9: clone kept in ${ran[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
      assert.ok(fs.existsSync(path.join(ran[1], 'native-addon.json')), 'the install record was borrowed');
      fs.rmSync(path.dirname(ran[1]), { recursive: true, force: true });
      // Without --keep the clone goes.
      const again = spawnSync('bash', [path.join(repo, 'scripts', 'check-node.sh'), '9.1.2'], { encoding: 'utf8', env, timeout: 60_000 });
      const where = /^npm test under v9\.1\.2-stand-in in (\S+)$/m.exec(again.stdout);
      assert.ok(where, again.stdout + again.stderr);
      assert.equal(fs.existsSync(where[1]), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a checkout without node_modules and an install record is not run (exit 3), nothing fetched', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-check-node-'));
    try {
      fs.mkdirSync(path.join(dir, 'scripts'));
      fs.copyFileSync(script, path.join(dir, 'scripts', 'check-node.sh'));
      const r = run(path.join(dir, 'scripts', 'check-node.sh'), ['26', '--keep']);
      assert.equal(r.status, 3, r.out);
      assert.match(r.out, new RegExp(`^node 26: NOT RUN: no install to borrow in ${dir} \\(run npm install there first\\)`, 'm'));
      assert.deepEqual(fs.readdirSync(dir), ['scripts']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
