// `SELFSUP_BUILD_FROM_SOURCE=1 npm install <tarball>`: the prebuilt binary is
// ignored, cmake-js compiles the addon inside the installed package, and that
// build is what `require('selfsup')` loads.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanEnv, cleanUp, installTarball, packTarball, useSelfsup } from './package-fixture';

describe('install: a forced source build from the npm pack tarball', function () {
  this.timeout(15 * 60 * 1000);
  let installed: { dir: string; pkg: string; log: string };

  before(function () {
    // SELFSUP_SKIP_INSTALL_TESTS=1 skips these minutes-long tests in a quick local run.
    if (process.platform !== 'linux' || process.env.SELFSUP_SKIP_INSTALL_TESTS === '1') this.skip();
    installed = installTarball(packTarball().tarball, cleanEnv({ SELFSUP_BUILD_FROM_SOURCE: '1' }));
  });

  after(cleanUp);

  it('compiles the addon with cmake-js and records it', () => {
    assert.match(installed.log, /building from source: SELFSUP_BUILD_FROM_SOURCE/);
    assert.doesNotMatch(installed.log, /testing the prebuilt addon/);
    const addon = path.join(installed.pkg, 'build', 'Release', 'selfsup.node');
    assert.ok(fs.existsSync(addon), `${addon} is missing:\n${installed.log.slice(-3000)}`);
    const record = JSON.parse(fs.readFileSync(path.join(installed.pkg, 'native-addon.json'), 'utf8')) as
      { kind: string; path: string; torchVersion: string; by: string };
    assert.equal(record.kind, 'built');
    assert.equal(record.by, 'install');
    assert.equal(record.path, path.join('build', 'Release', 'selfsup.node'));
    assert.match(record.torchVersion, /^\d+\.\d+\.\d+/);
    const libtorch = JSON.parse(fs.readFileSync(path.join(installed.pkg, 'build', 'libtorch.json'), 'utf8')) as
      { version: string; cxx11Abi: boolean; libDir: string };
    assert.equal(libtorch.version, record.torchVersion);
    assert.equal(typeof libtorch.cxx11Abi, 'boolean');
  });

  it('require(\'selfsup\') loads the built binary and runs an operator and a backward pass', () => {
    const r = useSelfsup(installed.dir, cleanEnv());
    assert.equal(r.loss, 14);
    assert.deepEqual(r.grad, [2, 4, 6]);
    assert.equal(r.addon.source, 'built');
    assert.equal(r.addon.path, path.join(fs.realpathSync(installed.pkg), 'build', 'Release', 'selfsup.node'));
  });
});
