#!/usr/bin/env node
// Parses the addon's CUDA branches (the code under SELFSUP_WITH_CUDA) with
// g++ -fsyntax-only against the installed libtorch's headers and stub CUDA
// runtime declarations (scripts/cuda/stub-include), so a CPU-only machine
// catches C++ mistakes in code that only a CUDA build compiles. This does not
// replace a real CUDA build (scripts/cuda/build-and-test.sh on a GPU machine).
// Then it parses the distributed code (native/distributed*.cc) as a libtorch
// 2.x build compiles it, NCCL included, against declarations of 2.x's c10d
// API (scripts/cuda/stub-c10d2, README.md there), once per 2.x generation of
// that API (SELFSUP_STUB_C10D2 = 1, 2, 3).
//
//   node scripts/cuda/check-syntax.js
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function torchIncludes() {
  for (const base of ['/usr/include', process.env.LIBTORCH && path.join(process.env.LIBTORCH, 'include')]) {
    if (base && fs.existsSync(path.join(base, 'ATen', 'cuda', 'CUDAGraph.h'))) {
      return [base, path.join(base, 'torch', 'csrc', 'api', 'include')];
    }
  }
  throw new Error('libtorch headers with ATen/cuda/CUDAGraph.h not found in /usr/include or $LIBTORCH/include');
}

// The standard the build uses (find-libtorch.js --cxx-std: C++20 where libtorch's headers need it), for the
// libtorch of torchIncludes (LIBTORCH or the system's: no python3 probe).
function cxxStandard() {
  const finder = require('../find-libtorch');
  const found = finder.findLibtorch({ python: false });
  return found ? finder.cxxStandard(found) : 'c++17';
}

function main() {
  const napi = require(require.resolve('node-addon-api', { paths: [ROOT] })).include_dir.replace(/^"|"$/g, '');
  const nodeApi = path.join(path.dirname(require.resolve('node-api-headers/package.json', { paths: [ROOT] })), 'include');
  const files = fs.readdirSync(path.join(ROOT, 'native')).filter((f) => f.endsWith('.cc'))
    .filter((f) => fs.readFileSync(path.join(ROOT, 'native', f), 'utf8').includes('SELFSUP_WITH_CUDA'))
    .map((f) => path.join('native', f));
  // USE_DISTRIBUTED/USE_C10D_GLOO as libtorch's CMake targets define them (c10d's headers test them).
  // The flags both parses share; the c10d one puts its 2.x declarations first and defines NCCL.
  const std = cxxStandard();
  const common = (first) => [`-std=${std}`, '-fsyntax-only', '-DSELFSUP_WITH_CUDA', '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS', '-DUSE_DISTRIBUTED', '-DUSE_C10D_GLOO', '-idirafter', path.join(ROOT, 'native-compat'),
    ...first, `-I${path.join(__dirname, 'stub-include')}`, `-I${nodeApi}`, `-I${path.resolve(ROOT, napi)}`,
    ...torchIncludes().map((d) => `-I${d}`)];
  const args = [...common([]), ...files];
  const t0 = Date.now();
  childProcess.execFileSync('g++', args, { cwd: ROOT, stdio: 'inherit' });
  console.log(`check-syntax: the CUDA branches of ${files.join(', ')} parse (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const c10d = ['native/distributed.cc', 'native/distributed_autograd.cc'];
  const stub2 = path.join(__dirname, 'stub-c10d2');
  for (const generation of [1, 2, 3]) {
    const t1 = Date.now();
    // The 2.x declarations come first, so they shadow the installed 1.13 c10d headers and torch/version.h.
    childProcess.execFileSync('g++', [...common([`-DSELFSUP_STUB_C10D2=${generation}`, '-DUSE_C10D_NCCL', `-I${stub2}`]),
      ...c10d], { cwd: ROOT, stdio: 'inherit' });
    console.log(`check-syntax: ${c10d.join(', ')} parse against libtorch 2.x's c10d declarations, generation ` +
      `${generation} (${((Date.now() - t1) / 1000).toFixed(1)} s)`);
  }
}

try {
  main();
} catch (e) {
  console.error(`check-syntax: ${e.message}`);
  process.exit(1);
}
