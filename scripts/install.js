#!/usr/bin/env node
// `npm install` runs this: find libtorch (installing Debian's libtorch-dev
// when none is found and it runs as root on Debian), then use the prebuilt
// addon of that libtorch's flavour when one ships in prebuilds/ and loads in a
// child process, else build the addon from source with cmake-js. The choice is
// recorded in native-addon.json, which lib/torch/native.ts reads.
//
// Environment (npm config in parentheses):
//   LIBTORCH=<folder>            use this libtorch (see scripts/find-libtorch.js)
//   SELFSUP_SKIP_NATIVE=1        skip the native step entirely
//   SELFSUP_BUILD_FROM_SOURCE=1  (--build-from-source) ignore prebuilt binaries, clean rebuild
//   SELFSUP_BUILD_DIR=<folder>   build there instead of build/
// A development clone (a .git folder next to package.json) always builds from
// source: its native/ may differ from what the prebuilt binaries were built from.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeFileAtomic } = require('./write-atomic');
const apt = require('./apt');
const { staleReason } = require('./native-hash');
const { findLibtorch, notFoundMessage, LibtorchError, flavourOf, parsePrebuiltFileName, openmpBlasDir, hasNvcc } = require('./find-libtorch');

const ROOT = path.resolve(__dirname, '..');
/** What lib/torch/native.ts reads to find the addon this install chose. */
const RECORD_FILE = 'native-addon.json';
/** The link next to prebuilt binaries that their `$ORIGIN/torch-lib` run-time search path names. */
const TORCH_LIB_LINK = 'torch-lib';
const DATASET_PACKAGE = 'dataset-fashion-mnist';
// The photographs that `--data photos` cuts into colour crops (lib/data/photo-crops.ts).
const PHOTOS_PACKAGE = 'mate-backgrounds';
const OPENMP_BLAS = 'libopenblas0-openmp';
// Any of these gives libtorch-dev a fast BLAS; without one it uses the reference BLAS.
const FAST_BLAS = ['libopenblas0-pthread', 'libopenblas0-openmp', 'libopenblas0-serial', 'libmkl-rt',
  'libblis4-pthread', 'libblis4-openmp'];
// The discovery fields that decide whether an existing build can be reused.
const RECORD_KEYS = ['source', 'root', 'cmakePrefixPath', 'libDir', 'version', 'cuda', 'cudaVersion', 'cxx11Abi',
  'openmpBlas'];

class InstallError extends Error {}

function log(msg) {
  console.log(`selfsup: ${msg}`);
}

function warn(msg) {
  console.error(`selfsup: WARNING: ${msg}`);
}

function truthy(v) {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function describe(found) {
  const where = { LIBTORCH: 'LIBTORCH', python: `torch of ${found.python || 'python3'}`,
    system: 'system libtorch-dev' }[found.source];
  const device = found.cuda ? `CUDA${found.cudaVersion ? ` ${found.cudaVersion}` : ''}` : 'CPU';
  return `libtorch ${found.version || '(unknown version)'} (${where}, ${device}, ` +
    `_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi ? 1 : 0}) in ${found.libDir}`;
}

/** Finds libtorch, installing Debian's libtorch-dev as root when there is none. */
function discover() {
  let found = findLibtorch();
  if (found) return found;
  if (!apt.canInstall()) throw new InstallError(notFoundMessage());
  log('no libtorch found; installing Debian\'s libtorch-dev and libopenblas0-pthread (running as root)');
  if (!apt.install(['libtorch-dev', 'libopenblas0-pthread'])) {
    throw new InstallError(`apt-get could not install libtorch-dev.\n${notFoundMessage()}`);
  }
  found = findLibtorch();
  if (!found) throw new InstallError(`libtorch-dev is installed but its TorchConfig.cmake was not found.\n${notFoundMessage()}`);
  return found;
}

/** Debian's libtorch uses the system BLAS: make sure it is OpenBLAS, not the 20x slower reference. */
function ensureFastBlas(found) {
  if (found.source !== 'system' || !fs.existsSync('/usr/bin/dpkg-query')) return;
  // The OpenMP build of OpenBLAS shares libtorch's libgomp thread pool; the
  // addon links it when present (CMakeLists.txt), without touching the
  // system's BLAS alternative. Worth having, never required.
  if (!apt.isInstalled(OPENMP_BLAS) && apt.canInstall() && !apt.install([OPENMP_BLAS])) {
    warn(`could not install ${OPENMP_BLAS}; libtorch keeps the system BLAS`);
  }
  if (FAST_BLAS.some((p) => apt.isInstalled(p))) return;
  if (apt.canInstall() && apt.install(['libopenblas0-pthread'])) return;
  const line = '*'.repeat(78);
  console.error([line, 'selfsup: WARNING: libopenblas0-pthread is not installed, so libtorch uses the',
    'reference BLAS: matrix products and convolutions run about 20x slower. Install it:',
    '    sudo apt-get install libopenblas0-pthread', line].join('\n'));
}

/** Gloo's headers (torch.distributed's CPU backend) for Debian's libtorch; without them the addon builds without Gloo. Never fatal. */
function ensureGlooHeaders(found) {
  if (found.source !== 'system' || apt.isInstalled('libgloo-dev')) return;
  if (apt.canInstall()) {
    if (!apt.install(['libgloo-dev'])) warn('could not install libgloo-dev: torch.distributed will have no gloo backend');
    return;
  }
  log('libgloo-dev is not installed: torch.distributed will have no gloo backend (sudo apt-get install libgloo-dev)');
}

/** The default dataset (Fashion-MNIST) from Debian, as root; a hint otherwise. Never fatal. */
function ensureDataset() {
  if (!fs.existsSync('/etc/debian_version') || apt.isInstalled(DATASET_PACKAGE)) return;
  if (apt.canInstall()) {
    if (!apt.install([DATASET_PACKAGE])) warn(`could not install ${DATASET_PACKAGE} (the default dataset)`);
    return;
  }
  log(`the default dataset (Fashion-MNIST) is not installed: sudo apt-get install ${DATASET_PACKAGE}`);
}

/** The text corpus of BERT/ALBERT/CLIP demos (Debian's fortunes), as root; a hint otherwise. Never fatal. */
function ensureTextCorpus() {
  if (!fs.existsSync('/etc/debian_version') || apt.isInstalled('fortunes')) return;
  if (apt.canInstall() && apt.install(['fortunes'])) return;
  log('the text corpus (fortunes) is not installed: sudo apt-get install fortunes');
}

/** The colour photographs of `--data photos` from Debian, as root; a hint otherwise. Never fatal. */
function ensurePhotos() {
  if (!fs.existsSync('/etc/debian_version') || apt.isInstalled(PHOTOS_PACKAGE)) return;
  if (apt.canInstall()) {
    if (!apt.install([PHOTOS_PACKAGE], { noRecommends: true })) warn(`could not install ${PHOTOS_PACKAGE} (--data photos)`);
    return;
  }
  log(`the photographs of --data photos are not installed: sudo apt-get install ${PHOTOS_PACKAGE}`);
}

function cmakeJsBin() {
  try {
    const pkgJson = require.resolve('cmake-js/package.json', { paths: [ROOT] });
    const bin = require(pkgJson).bin;
    return path.join(path.dirname(pkgJson), typeof bin === 'string' ? bin : bin['cmake-js']);
  } catch {
    return null;
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function record(found) {
  const out = {};
  for (const k of RECORD_KEYS) out[k] = found[k] === undefined ? null : found[k];
  return out;
}

/** True when the build in `outDir` was made against `found` (libtorch.json, else CMakeCache's prefix). */
function sameLibtorch(outDir, found) {
  const prev = readJson(path.join(outDir, 'libtorch.json'));
  if (prev) return JSON.stringify(record(prev)) === JSON.stringify(record(found));
  let cache = '';
  try {
    cache = fs.readFileSync(path.join(outDir, 'CMakeCache.txt'), 'utf8');
  } catch {
    return false;
  }
  const m = /^CMAKE_PREFIX_PATH:[A-Z]*=(.*)$/m.exec(cache);
  return Boolean(m) && m[1].trim() === found.cmakePrefixPath;
}

function checkTools() {
  const missing = ['cmake', 'c++'].filter((t) => childProcess.spawnSync(t, ['--version'], { stdio: 'ignore' }).status !== 0);
  if (missing.length) {
    throw new InstallError(`${missing.join(' and ')} not found on PATH; the addon is compiled from source. ` +
      'Install them: sudo apt-get install cmake g++');
  }
}

/**
 * How CMake gets libtorch's flags: TorchConfig.cmake (CMAKE_PREFIX_PATH), or,
 * for a CUDA libtorch on a machine without nvcc (TorchConfig would enable the
 * CUDA language and fail), scripts/find-libtorch.js --cmake with the CUDA
 * headers of the nvidia-* wheels beside torch (CMakeLists.txt's SELFSUP_NO_TORCH_CMAKE).
 * Returns { args (cmake-js --CD flags), note (what to log) }.
 */
function torchCmakeArgs(found, env = process.env) {
  if (found.cuda && !hasNvcc(env)) {
    if (!found.cudaIncludeDirs || found.cudaIncludeDirs.length === 0) {
      throw new InstallError(`${describe(found)} needs the CUDA runtime headers to build against, and neither nvcc ` +
        'nor cuda_runtime_api.h was found (CUDA_HOME, /usr/local/cuda, or the nvidia-* wheels next to torch). ' +
        'Install the CUDA runtime wheel of your torch (e.g. pip install nvidia-cuda-runtime-cu13) or a CUDA toolkit.');
    }
    return { args: ['--CDSELFSUP_NO_TORCH_CMAKE=ON', `--CDNODE_EXECUTABLE=${process.execPath}`],
      note: `no nvcc: libtorch's flags from find-libtorch.js, CUDA headers from ${found.cudaIncludeDirs[0]}` };
  }
  if (!found.cmakePrefixPath) {
    throw new InstallError(`${found.root} has no share/cmake/Torch/TorchConfig.cmake, which the cmake-js build ` +
      'needs. Point LIBTORCH at a full libtorch (or build with node-gyp: npx node-gyp rebuild).');
  }
  return { args: [`--CDCMAKE_PREFIX_PATH=${found.cmakePrefixPath}`], note: null };
}

function build(found, outDir, force) {
  const torchArgs = torchCmakeArgs(found);
  if (torchArgs.note) log(torchArgs.note);
  const bin = cmakeJsBin();
  if (!bin) {
    throw new InstallError(`cmake-js is not installed next to selfsup (${ROOT}); it is a dependency of selfsup. ` +
      'Run `npm install` in the package folder (or `npm install cmake-js`) and try again.');
  }
  checkTools();
  const addon = path.join(outDir, 'Release', 'selfsup.node');
  const same = sameLibtorch(outDir, found);
  const clean = force || (!same && fs.existsSync(path.join(outDir, 'CMakeCache.txt')));
  const command = clean ? 'rebuild' : 'compile';
  const jobs = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (force) log('building from source (forced): clean rebuild');
  else if (clean) log('libtorch changed since the last build: clean rebuild');
  const incremental = !clean && same && fs.existsSync(addon);
  const shown = addon.startsWith(ROOT + path.sep) ? path.relative(ROOT, addon) : addon;
  log(incremental ? `incremental build of ${shown} (its build used this libtorch)`
    : `building ${shown} with cmake-js (${jobs} jobs); this takes a few minutes`);
  const started = Date.now();
  const args = [bin, command, '--log-level', 'warn', '-d', ROOT, '--out', outDir, '-p', String(jobs), ...torchArgs.args];
  const r = childProcess.spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    throw new InstallError(`the cmake-js build failed (exit ${r.status}); see the compiler output above. ` +
      `Command: ${[process.execPath].concat(args).join(' ')}`);
  }
  if (!fs.existsSync(addon)) throw new InstallError(`cmake-js finished but ${addon} is missing`);
  log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return addon;
}

/**
 * What the child process runs on a candidate addon: load it with every symbol
 * bound now (RTLD_NOW, so a libtorch that lacks a symbol fails here, not in
 * the middle of a training run), then an operator and a backward pass.
 */
const PROBE = `
const os = require('node:os');
const m = { exports: {} };
process.dlopen(m, process.argv[1], os.constants.dlopen.RTLD_NOW);
const n = m.exports;
const a = n.fromBuffer(new Float32Array([1, 2, 3]), [3], 'float32');
n.setRequiresGrad(a, true);
const s = n.call(n.lookupOp('sum'), n.call(n.lookupOp('mul', 'Tensor'), a, a));
n.backward([s]);
const g = Array.from(new Float32Array(n.toBuffer(n.getGrad(a))));
if (g.join() !== '2,4,6') throw new Error('wrong gradient of sum(a * a): ' + g.join());
process.stdout.write(JSON.stringify({ torchVersion: n.config().torchVersion }));
`;

/**
 * Loads `addon` in a child process (a bad binary must not crash this one) and
 * runs an operator and a backward pass. Returns { ok: true, torchVersion } or
 * { ok: false, reason }.
 */
function probeAddon(addon) {
  const r = childProcess.spawnSync(process.execPath, ['-e', PROBE, addon], { encoding: 'utf8', timeout: 180000 });
  if (r.status === 0 && !r.signal) {
    try {
      return { ok: true, torchVersion: JSON.parse(r.stdout).torchVersion };
    } catch {
      return { ok: false, reason: `unexpected output: ${r.stdout.trim().slice(0, 200)}` };
    }
  }
  const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  // Node echoes the probe's source line before the error: keep only the error itself.
  const detail = (r.stderr || '').split('\n').filter((l) => l.trim() && !/^\s+at |^\[eval\]|^\s*\^+\s*$|^[{}]$|^Node\.js v|dlopen\(m,/.test(l))
    .slice(0, 6).join('\n');
  return { ok: false, reason: `${how}${detail ? `:\n${detail}` : ''}` };
}

/** Loads the addon that was just built in a child process and returns its torch version. */
function checkLoads(addon) {
  const r = probeAddon(addon);
  if (!r.ok) {
    throw new InstallError(`the built addon ${addon} does not work (${r.reason})\n` +
      'An "undefined symbol" error usually means a C++ ABI mismatch with libtorch; try SELFSUP_BUILD_FROM_SOURCE=1.');
  }
  return r.torchVersion;
}

/** The folder with this platform's prebuilt binaries (node-gyp-build's layout). */
function prebuildsDir(root = ROOT) {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/**
 * The prebuilt binaries in `dir` that this Node can load (node-gyp-build's
 * runtime, N-API and libc tags) and that were built for `found`'s flavour.
 * Returns { wanted (flavour), all (file names), matches (paths) }.
 */
function matchingPrebuilts(found, dir = prebuildsDir()) {
  let names = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.node')).sort();
  } catch {
    return { wanted: flavourOf(found), all: [], matches: [] };
  }
  let nodeTagsMatch = () => true;
  try {
    const gypBuild = require(require.resolve('node-gyp-build', { paths: [ROOT] }));
    const matchTags = gypBuild.matchTags('node', process.versions.modules);
    nodeTagsMatch = (name) => matchTags(gypBuild.parseTags(name));
  } catch {
    // node-gyp-build is a dependency; without it, rely on the child-process load test alone.
  }
  const wanted = flavourOf(found);
  const matches = names.filter((name) => {
    const f = parsePrebuiltFileName(name);
    return f !== null && nodeTagsMatch(name) && f.tag === wanted.tag;
  }).map((name) => path.join(dir, name));
  return { wanted, all: names, matches };
}

/**
 * Points `<dir>/torch-lib` at libtorch's lib folder: prebuilt binaries have
 * `$ORIGIN/torch-lib` first in their run-time search path, which is how a
 * binary built on another machine finds this machine's libtorch (a pip
 * torch's torch/lib, say) without LD_LIBRARY_PATH or patchelf.
 */
function linkTorchLib(dir, libDir) {
  const link = path.join(dir, TORCH_LIB_LINK);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(libDir, link);
  return link;
}

/**
 * Tries the matching prebuilt binaries; returns { addon, torchVersion, flavour } or null. `say` receives what
 * was tried ({ log, warn }: the install prints; the loader's adoption (scripts/adopt-prebuilt.js) collects).
 */
function usePrebuilt(found, say = { log, warn }) {
  const dir = prebuildsDir();
  const { wanted, all, matches } = matchingPrebuilts(found, dir);
  if (matches.length === 0) {
    say.log(`no prebuilt addon for ${wanted.tag}` + (all.length ? ` (prebuilt: ${all.join(', ')})` : ''));
    return null;
  }
  let link = null;
  try {
    link = linkTorchLib(dir, found.libDir);
  } catch (e) {
    say.warn(`could not link ${path.join(dir, TORCH_LIB_LINK)} to ${found.libDir} (${e.message})`);
  }
  for (const addon of matches) {
    // A binary built before a change to native/ would pair old C++ with this package's JavaScript.
    const stale = staleReason(addon, ROOT);
    if (stale !== null) {
      say.warn(`the prebuilt addon ${path.basename(addon)} is not used: ${stale}`);
      continue;
    }
    say.log(`testing the prebuilt addon ${path.relative(ROOT, addon)} in a child process`);
    const r = probeAddon(addon);
    if (r.ok) return { addon, torchVersion: r.torchVersion, flavour: wanted.tag };
    say.warn(`the prebuilt addon ${path.basename(addon)} does not work with this libtorch (${r.reason})`);
  }
  if (link) fs.rmSync(link, { force: true });
  say.log('no prebuilt addon works here');
  return null;
}

/** Writes native-addon.json: which binary lib/torch/native.ts loads, and what it was checked against. */
function writeRecord(root, kind, addon, found, torchVersion, flavour, by = 'install') {
  const rel = path.relative(root, addon);
  const shown = rel.startsWith('..') || path.isAbsolute(rel) ? addon : rel;
  const data = { kind, path: shown, flavour, torchVersion, libtorch: { ...record(found), path: found.root },
    node: process.version, installedAt: new Date().toISOString(), by };
  writeFileAtomic(path.join(root, RECORD_FILE), `${JSON.stringify(data, null, 2)}\n`);
}

function main(argv) {
  const env = process.env;
  if (truthy(env.SELFSUP_SKIP_NATIVE)) {
    log('SELFSUP_SKIP_NATIVE is set: skipping libtorch discovery and the native build');
    return;
  }
  const force = argv.includes('--build-from-source') || truthy(env.SELFSUP_BUILD_FROM_SOURCE) ||
    truthy(env.npm_config_build_from_source);
  const outDir = env.SELFSUP_BUILD_DIR ? path.resolve(env.SELFSUP_BUILD_DIR) : path.join(ROOT, 'build');
  // A record from an earlier install must not outlive a failed one (npm rebuild after libtorch changed).
  fs.rmSync(path.join(ROOT, RECORD_FILE), { force: true });

  const found = discover();
  log(`found ${describe(found)}`);
  ensureFastBlas(found);
  found.openmpBlas = openmpBlasDir(found);
  if (found.openmpBlas) log(`BLAS: the OpenMP build of OpenBLAS (${found.openmpBlas})`);
  ensureDataset();
  ensurePhotos();
  ensureTextCorpus();
  ensureGlooHeaders(found);

  const devClone = fs.existsSync(path.join(ROOT, '.git'));
  if (force) log('building from source: SELFSUP_BUILD_FROM_SOURCE / --build-from-source is set');
  else if (devClone) log('a development clone (.git): building from source, not using prebuilt binaries');
  else {
    const pre = usePrebuilt(found);
    if (pre) {
      writeRecord(ROOT, 'prebuilt', pre.addon, found, pre.torchVersion, pre.flavour);
      log(`ready: prebuilt ${path.relative(ROOT, pre.addon)} (libtorch ${pre.torchVersion}); nothing compiled`);
      return;
    }
    log('building from source');
  }

  const addon = build(found, outDir, force);
  const torchVersion = checkLoads(addon);
  writeFileAtomic(path.join(outDir, 'libtorch.json'), `${JSON.stringify({ ...record(found),
    path: found.root, includeDirs: found.includeDirs, torchConfig: found.torchConfig, addon,
    loadedTorchVersion: torchVersion }, null, 2)}\n`);
  writeRecord(ROOT, 'built', addon, found, torchVersion, flavourOf(found).tag);
  log(`ready: ${addon} (libtorch ${torchVersion})`);
}

module.exports = { probeAddon, matchingPrebuilts, prebuildsDir, linkTorchLib, torchCmakeArgs, usePrebuilt, writeRecord,
  RECORD_FILE, TORCH_LIB_LINK };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof InstallError || e instanceof LibtorchError)) throw e;
    console.error(e.message.startsWith('selfsup:') ? e.message : `selfsup: ${e.message}`);
    process.exitCode = 1;
  }
}
