// scripts/mocha-reporter.js: the spec output plus the plain closing lines that
// CI and the GPU script's summary read (the counts, then one line per failure
// naming the test and the error's first line).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

describe('scripts/mocha-reporter.js', () => {
  it('ends with the counts and one "failed:" line per failure, in the order they failed', () => {
    const root = repoRoot();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-reporter-'));
    try {
      const spec = path.join(dir, 'sample.test.js');
      fs.writeFileSync(spec, `
        const assert = require('node:assert/strict');
        describe('outer', () => {
          it('passes', () => {});
          it.skip('is skipped', () => {});
          describe('inner', () => {
            it('fails by value', () => assert.equal(1, 2));
            it('throws a two-line message', () => { throw new Error('\\nfirst line\\nsecond line'); });
          });
        });`);
      const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--no-config',
        '--reporter', path.join(root, 'scripts', 'mocha-reporter.js'), spec], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 2, r.stdout + r.stderr);
      const tail = r.stdout.trimEnd().split('\n').slice(-3);
      assert.deepEqual(tail, [
        'tests: 1 passed, 2 failed, 1 skipped',
        'failed: outer inner fails by value: Expected values to be strictly equal:',
        'failed: outer inner throws a two-line message: first line',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
