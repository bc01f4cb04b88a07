// scripts/check-node.sh (the suite under another Node.js release, by hand):
// its arguments are refused by name, and a checkout without an install to
// borrow is "not run" (exit 3) before anything is fetched. The whole run
// (docs/compatibility.md: Node 22 and 26 on this machine) is what proves the rest.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
