// Loading the addon: an explicit SELFSUP_ADDON that names nothing is an error,
// not a silent fallback to another binary.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const lib = path.join(__dirname, '..', '..', 'lib');

describe('torch/native (the addon loader)', () => {
  it('reports a SELFSUP_ADDON that does not exist, naming the path', () => {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(lib)})`],
      { env: { ...process.env, SELFSUP_ADDON: '/nonexistent/selfsup.node' }, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /SELFSUP_ADDON names \/nonexistent\/selfsup\.node, which does not exist/);
  });

  it('loads the addon this process uses and says where it came from', () => {
    const r = spawnSync(process.execPath, ['-e',
      `const n = require(${JSON.stringify(path.join(lib, 'torch', 'native'))}); console.log(JSON.stringify(n.addonOrigin))`],
    { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const origin = JSON.parse(r.stdout) as { source: string; path: string };
    assert.ok(['SELFSUP_ADDON', 'prebuilt', 'built', 'build-folder'].includes(origin.source), origin.source);
    assert.match(origin.path, /\.node$/);
  });
});
