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
const { probeAddon } = require('./install');
const { scratchCopy, nodeDir } = require('./prebuild');

const ROOT = path.resolve(__dirname, '..');

function main() {
  const nodedir = nodeDir();
  if (!nodedir) {
    throw new Error(`Node's headers are not under ${path.resolve(process.execPath, '..', '..')}/include/node; ` +
      'set npm_config_nodedir');
  }
  const work = scratchCopy('selfsup-gyp-');
  try {
    const gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] });
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
    // The same child-process check install.js gives every addon: an operator and a backward pass.
    const probe = probeAddon(addon);
    if (!probe.ok) throw new Error(`check-gyp-build: the addon does not work: ${probe.reason}`);
    console.log(`check-gyp-build: loads, libtorch ${probe.torchVersion}, gradient 2,4,6`);
    console.log(`check-gyp-build: passed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  } finally {
    if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
