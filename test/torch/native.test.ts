// Loading the addon: an explicit SELFSUP_ADDON that names nothing is an error,
// not a silent fallback to another binary.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { torch } from '../../lib';
import { addonOrigin } from '../../lib/torch/native';

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

  it('loads one BLAS build, the OpenMP OpenBLAS when the addon links it (no pthread pool fighting libgomp)', () => {
    torch.randn([64, 64]).matmul(torch.randn([64, 64])).dispose(); // BLAS is loaded and used
    const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/).pop() ?? '');
    const blas = [...new Set(maps.filter((f) => /\/lib(open)?blas[^/]*\.so|\/liblapack[^/]*\.so/.test(f)))];
    const folders = new Set(blas.map((f) => path.dirname(fs.realpathSync(f))));
    assert.ok(folders.size <= 1, `BLAS libraries from several builds are mixed: ${blas.join(', ')}`);
    const runpath = execFileSync('readelf', ['-d', addonOrigin.path], { encoding: 'utf8' });
    if (/openblas-openmp/.test(runpath)) {
      assert.ok(blas.length > 0 && blas.every((f) => fs.realpathSync(f).includes('/openblas-openmp/')),
        `the addon links the OpenMP OpenBLAS but the process loaded: ${blas.join(', ')}`);
    }
  });
});
