#!/usr/bin/env node
// Builds the addon with node-gyp (binding.gyp, the prebuilt-binary path) in
// a scratch folder and checks that the result works: an operator call and a
// backward pass through autograd, and that the run-time search path starts
// with $ORIGIN/torch-lib. cmake-js (npm install) is the other build.
//
//   node scripts/check-gyp-build.js [--keep]
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function nodeHeadersDir() {
  const prefix = path.resolve(process.execPath, '..', '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  throw new Error(`Node's headers are not under ${prefix}/include/node; set npm_config_nodedir`);
}

function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-gyp-'));
  try {
    for (const entry of ['native', 'scripts', 'binding.gyp', 'package.json']) {
      fs.cpSync(path.join(ROOT, entry), path.join(work, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
    const gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] });
    const nodedir = process.env.npm_config_nodedir || nodeHeadersDir();
    console.log(`check-gyp-build: node-gyp rebuild in ${work}`);
    const t0 = Date.now();
    childProcess.execFileSync(process.execPath, [gyp, 'rebuild', `--jobs=${os.cpus().length}`, `--nodedir=${nodedir}`],
      { cwd: work, stdio: 'inherit' });
    const addon = path.join(work, 'build', 'Release', 'selfsup.node');
    // The prebuilt binaries find libtorch through $ORIGIN/torch-lib (docs/shipping.md):
    // make sure gyp and make kept the "$" (binding.gyp escapes it as "$$").
    const dyn = childProcess.spawnSync('readelf', ['-d', addon], { encoding: 'utf8' });
    if (dyn.status === 0) {
      const runpath = (/\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]/.exec(dyn.stdout) || [])[1] || '';
      if (!runpath.split(':').includes('$ORIGIN/torch-lib')) {
        throw new Error(`check-gyp-build: the run-time search path lacks $ORIGIN/torch-lib: [${runpath}]`);
      }
      console.log(`check-gyp-build: run-time search path ${runpath}`);
    }
    const probe = `
      const n = require(${JSON.stringify(addon)});
      const a = n.fromBuffer(new Float32Array([1, 2, 3]), [3], 'float32');
      n.setRequiresGrad(a, true);
      const y = n.call(n.lookupOp('mul', 'Tensor'), a, a);
      const s = n.call(n.lookupOp('sum'), y);
      n.backward([s]);
      const g = Array.from(new Float32Array(n.toBuffer(n.getGrad(a))));
      if (g.join() !== '2,4,6') throw new Error('wrong gradient ' + g);
      console.log('check-gyp-build: loads, libtorch ' + n.config().torchVersion + ', gradient ' + g.join(','));
    `;
    childProcess.execFileSync(process.execPath, ['-e', probe], { stdio: 'inherit' });
    console.log(`check-gyp-build: passed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  } finally {
    if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
