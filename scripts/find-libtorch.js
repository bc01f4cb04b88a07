#!/usr/bin/env node
// Finds the libtorch that the native addon is built against and linked to.
// Order: env LIBTORCH (a libtorch folder), the `torch` package of the
// `python3` on PATH, the system's libtorch-dev (Debian, Ubuntu).
//
// As a module: findLibtorch(options) -> discovery or null; throws
// LibtorchError when LIBTORCH names something that is not a libtorch.
// As a command (binding.gyp's command expansions use it):
//   node scripts/find-libtorch.js --json | --include-dirs | --lib-dir |
//     --libraries | --ldflags | --blas-ldflags | --defines | --cmake-prefix-path | --cmake |
//     --version | --cxx-std | --flavour
//
// A "flavour" names what a compiled addon depends on in libtorch: its
// major.minor version, CPU or CUDA (cuXYZ) and the C++ ABI. Prebuilt addons
// carry it in their file name (docs/shipping.md):
//   prebuilds/linux-x64/selfsup.napi.glibc.torch-1.13.cpu.cxx11abi1.node
// node-gyp-build reads the napi and glibc tags and ignores the rest.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const INSTALL_COMMAND = 'sudo apt-get install libtorch-dev libopenblas0-pthread';

class LibtorchError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LibtorchError';
  }
}

/** The message shown when no libtorch is found: every way to get one. */
function notFoundMessage() {
  return [
    'selfsup: no libtorch found. It looked for, in order:',
    '  1. env LIBTORCH (a libtorch folder with lib/ and include/): not set',
    "  2. the torch package of the python3 on PATH (torch.utils.cmake_prefix_path): none with TorchConfig.cmake",
    '  3. the system libtorch (libtorch-dev, /usr/lib/<multiarch>/cmake/Torch): not installed',
    'Get one of these:',
    `  - Debian 12 / Ubuntu (CPU): ${INSTALL_COMMAND}`,
    '    (npm install does this by itself when it runs as root on Debian)',
    "  - PyTorch: pip install torch, with that python3 first on PATH",
    '  - a libtorch folder (https://pytorch.org, C++/LibTorch): LIBTORCH=/path/to/libtorch npm install',
  ].join('\n');
}

function exists(p) {
  try {
    fs.accessSync(p);
    return true;
  } catch {
    return false;
  }
}

function readText(p) {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** The Debian multiarch triplets to try, the compiler's first. */
function multiarchCandidates() {
  const out = [];
  const r = childProcess.spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8', timeout: 10000 });
  const fromGcc = r.status === 0 ? r.stdout.trim() : '';
  if (fromGcc) out.push(fromGcc);
  const byArch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
  if (byArch && !out.includes(byArch)) out.push(byArch);
  return out;
}

/**
 * "1.13.0" from include/torch/csrc/api/include/torch/version.h (or, from about
 * 2.10 on, the torch/headeronly/version.h it includes), or null.
 */
function readVersion(includeDirs) {
  for (const dir of includeDirs) {
    for (const rel of ['torch/version.h', 'torch/csrc/api/include/torch/version.h', 'torch/headeronly/version.h']) {
      const text = readText(path.join(dir, rel));
      const m = /#define\s+TORCH_VERSION\s+(?:\\\s*)?"([^"]+)"/.exec(text);
      if (m) return m[1];
      const parts = ['MAJOR', 'MINOR', 'PATCH'].map((k) => new RegExp(`#define\\s+TORCH_VERSION_${k}\\s+(\\d+)`).exec(text));
      if (parts.every(Boolean)) return parts.map((p) => p[1]).join('.');
    }
  }
  return null;
}

/** The C++ ABI libtorch was built with: TORCH_CXX_FLAGS in TorchConfig.cmake, else `fallback`. */
function readCxx11Abi(torchConfig, fallback) {
  const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(readText(torchConfig));
  return m ? m[1] === '1' : fallback;
}

/**
 * The C++ standard to compile against libtorch's headers: the CXX_STANDARD its
 * TorchConfig.cmake gives the torch target (14 on 1.13, 17 on 2.6, 20 on
 * Debian's 2.14, whose headers use `requires`), and never below the C++17 the
 * addon's own code is written in. Without a TorchConfig (or a CXX_STANDARD in
 * it), C++20 from libtorch 2.12 on, whose headers stop with an #error below
 * it (PyTorch issue #176662). "c++17" or "c++20".
 */
function cxxStandard(found) {
  const m = /\bCXX_STANDARD\s+(\d+)/.exec(found.torchConfig ? readText(found.torchConfig) : '');
  if (m) return `c++${Math.max(17, Number(m[1]))}`;
  const [major, minor] = flavourOf(found).torch.split('.').map(Number); // NaN for an unknown version: C++17
  return major > 2 || (major === 2 && minor >= 12) ? 'c++20' : 'c++17';
}

function hasCudaLibs(libDir) {
  let names = [];
  try {
    names = fs.readdirSync(libDir);
  } catch {
    return false;
  }
  return names.some((n) => /^lib(torch_cuda|c10_cuda)\.so/.test(n));
}

/** The CUDA version in a libtorch zip's build-version file ("2.4.0+cu124" -> "12.4"), or null. */
function readBuildVersionCuda(root) {
  const m = /\+cu(\d+)(\d)\b/.exec(readText(path.join(root, 'build-version')));
  return m ? `${m[1]}.${m[2]}` : null;
}

/**
 * Folders with the CUDA headers a CUDA libtorch's headers need (c10/cuda
 * includes cuda_runtime_api.h; others cuda.h, cublas*.h): CUDA_HOME and
 * CUDA_PATH (or, when neither is set, /usr/local/cuda), and the nvidia-* wheels next to a pip torch
 * (site-packages/nvidia/<part>/include: cu13/ holds all of CUDA 13's,
 * cuda_runtime/, cublas/, ... CUDA 12's). With these a CUDA source build
 * needs no CUDA toolkit (the addon has no .cu files). The folder with
 * cuda_runtime_api.h comes first; every wheel include folder is kept.
 */
function findCudaIncludeDirs(env, torchRoot) {
  const toolkits = toolkitDirs(env).map((d) => path.join(d, 'include'));
  const wheels = [];
  if (torchRoot) {
    const nvidia = path.join(torchRoot, '..', 'nvidia');
    let parts = [];
    try {
      parts = fs.readdirSync(nvidia);
    } catch {
      // not a pip torch with nvidia wheels
    }
    for (const part of parts.sort()) wheels.push(path.join(nvidia, part, 'include'));
  }
  const out = [];
  for (const d of toolkits) {
    const abs = path.resolve(d);
    if (exists(path.join(abs, 'cuda_runtime_api.h')) && !out.includes(abs)) out.push(abs);
  }
  const wheelDirs = wheels.map((d) => path.resolve(d)).filter((d) => exists(d) && !out.includes(d));
  // The runtime's folder first (a toolkit's, else the wheel that has it), then the other wheels.
  wheelDirs.sort((a, b) => Number(exists(path.join(b, 'cuda_runtime_api.h'))) - Number(exists(path.join(a, 'cuda_runtime_api.h'))));
  return out.concat(wheelDirs);
}

/**
 * Whether a CUDA compiler is at hand (nvcc on PATH, in CUDA_HOME/bin or
 * /usr/local/cuda/bin). Torch's CMake config of a CUDA libtorch needs one;
 * without it the build takes libtorch's flags from this script instead.
 */
function hasNvcc(env = process.env) {
  const dirs = (env.PATH || '').split(path.delimiter).concat(toolkitDirs(env).map((d) => path.join(d, 'bin')));
  return dirs.some((d) => d && exists(path.join(d, 'nvcc')));
}

/** CUDA toolkit folders: CUDA_HOME and CUDA_PATH when set (even empty: "none"), else /usr/local/cuda. */
function toolkitDirs(env) {
  if (env.CUDA_HOME !== undefined || env.CUDA_PATH !== undefined) return [env.CUDA_HOME, env.CUDA_PATH].filter(Boolean);
  return ['/usr/local/cuda'];
}

/**
 * The compile definitions libtorch's exported CMake targets carry
 * (USE_DISTRIBUTED, USE_C10D_GLOO, USE_C10D_NCCL, ...: what c10d's headers
 * test), read from Caffe2Targets.cmake when the libtorch has one.
 */
function caffe2Defines(found) {
  const file = found.cmakePrefixPath ? path.join(found.cmakePrefixPath, 'Caffe2', 'Caffe2Targets.cmake') : null;
  const text = file ? readText(file) : '';
  const out = [];
  for (const m of text.matchAll(/INTERFACE_COMPILE_DEFINITIONS "([^"]*)"/g)) {
    for (const d of m[1].split(';')) if (d && !d.includes('$') && !out.includes(d)) out.push(d);
  }
  return out;
}

/** A CMake fragment with libtorch's include dirs, lib dir, libraries and defines (CMakeLists.txt's SELFSUP_NO_TORCH_CMAKE). */
function cmakeFragment(found) {
  const list = (xs) => `"${xs.map((x) => x.replace(/[\\"$]/g, '\\$&')).join(';')}"`;
  const libs = ['torch', 'torch_cpu', 'c10'].concat(found.cuda ? ['torch_cuda', 'c10_cuda'] : []);
  const defines = [`_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi ? 1 : 0}`].concat(found.cuda ? ['SELFSUP_WITH_CUDA'] : [],
    caffe2Defines(found));
  return [
    `set(SELFSUP_TORCH_INCLUDE_DIRS ${list(found.includeDirs.concat(found.cudaIncludeDirs))})`,
    `set(SELFSUP_TORCH_LIB_DIR ${list([found.libDir])})`,
    `set(SELFSUP_TORCH_LIBS ${list(libs)})`,
    `set(SELFSUP_TORCH_DEFINES ${list(defines)})`,
    `set(SELFSUP_TORCH_CXX_STANDARD ${cxxStandard(found).slice(3)})`,
  ].join('\n');
}

/** Describes a libtorch laid out as <root>/{lib,include,share/cmake/Torch}. */
function describeFolder(root, source, extra = {}) {
  const cmakeDir = path.join(root, 'share', 'cmake');
  const torchConfig = path.join(cmakeDir, 'Torch', 'TorchConfig.cmake');
  const libDir = path.join(root, 'lib');
  const includeDirs = [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')];
  const cuda = hasCudaLibs(libDir);
  return {
    source,
    root,
    cmakePrefixPath: exists(torchConfig) ? cmakeDir : null,
    torchConfig: exists(torchConfig) ? torchConfig : null,
    libDir,
    includeDirs,
    version: readVersion(includeDirs),
    cuda,
    cudaVersion: cuda ? (extra.cudaVersion || readBuildVersionCuda(root)) : null,
    cudaIncludeDirs: cuda ? findCudaIncludeDirs(extra.env || process.env, root) : [],
    cxx11Abi: readCxx11Abi(torchConfig, extra.cxx11Abi === undefined ? true : extra.cxx11Abi),
  };
}

/** 1. env LIBTORCH. Throws when it is set but does not name a libtorch. */
function fromEnv(value, env = process.env) {
  if (!value) return null;
  const root = path.resolve(value);
  if (!exists(root)) {
    throw new LibtorchError(`selfsup: LIBTORCH=${value} does not exist. Set LIBTORCH to a libtorch folder ` +
      '(the one with lib/ and include/, e.g. the unzipped libtorch from pytorch.org or a torch package folder), ' +
      'or unset it.');
  }
  // The folder itself, or its share/cmake or share/cmake/Torch (what torch.utils.cmake_prefix_path names).
  const candidates = [root];
  if (/share[\\/]cmake$/.test(root)) candidates.push(path.resolve(root, '..', '..'));
  if (/share[\\/]cmake[\\/]Torch$/.test(root)) candidates.push(path.resolve(root, '..', '..', '..'));
  for (const dir of candidates) {
    if (exists(path.join(dir, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'))) {
      return describeFolder(dir, 'LIBTORCH', { env });
    }
  }
  // A system layout (LIBTORCH=/usr or another prefix with lib/<multiarch>/cmake/Torch).
  const systemLike = fromSystem(root, multiarchCandidates(), env);
  if (systemLike) return { ...systemLike, source: 'LIBTORCH' };
  if (exists(path.join(root, 'lib')) && exists(path.join(root, 'include', 'torch'))) {
    return describeFolder(root, 'LIBTORCH', { env });
  }
  throw new LibtorchError(`selfsup: LIBTORCH=${value} is not a libtorch folder: it has neither ` +
    'share/cmake/Torch/TorchConfig.cmake nor lib/ and include/torch/. ' +
    'Set LIBTORCH to the folder that holds them, or unset it.');
}

const PYTHON_PROBE = [
  'import json, os, torch',
  'abi = getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", None)',
  'print(json.dumps({"cmake": torch.utils.cmake_prefix_path, "root": os.path.dirname(torch.__file__),',
  '  "version": torch.__version__, "cuda": torch.version.cuda, "abi": abi}))',
].join('\n');

/** 2. The torch package of `python` (default: python3 on PATH). Null when absent or without TorchConfig. */
function fromPython(python = 'python3', env = process.env) {
  if (!python) return null;
  const r = childProcess.spawnSync(python, ['-c', PYTHON_PROBE], { encoding: 'utf8', env, timeout: 120000 });
  if (r.error || r.status !== 0) return null;
  let probe;
  try {
    probe = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
  if (!probe.cmake || !exists(path.join(probe.cmake, 'Torch', 'TorchConfig.cmake'))) return null;
  // The prefix of <prefix>/share/cmake/Torch/TorchConfig.cmake (the torch package folder).
  const root = path.resolve(probe.cmake, '..', '..');
  const found = describeFolder(root, 'python', {
    cudaVersion: probe.cuda || null,
    cxx11Abi: typeof probe.abi === 'boolean' ? probe.abi : undefined,
    env,
  });
  found.python = python;
  found.pythonTorchVersion = probe.version;
  return found;
}

/** 3. The system's libtorch-dev: /usr/lib/<multiarch>/cmake/Torch/TorchConfig.cmake. */
function fromSystem(usr = '/usr', multiarchs = multiarchCandidates(), env = process.env) {
  for (const ma of multiarchs) {
    const cmakeDir = path.join(usr, 'lib', ma, 'cmake');
    const torchConfig = path.join(cmakeDir, 'Torch', 'TorchConfig.cmake');
    if (!exists(torchConfig)) continue;
    const libDir = path.join(usr, 'lib', ma);
    const includeDirs = [path.join(usr, 'include'), path.join(usr, 'include', 'torch', 'csrc', 'api', 'include')];
    const cuda = hasCudaLibs(libDir);
    return {
      source: 'system',
      root: usr,
      cmakePrefixPath: cmakeDir,
      torchConfig,
      libDir,
      includeDirs,
      version: readVersion(includeDirs),
      cuda,
      cudaVersion: null,
      cudaIncludeDirs: cuda ? findCudaIncludeDirs(env, null) : [],
      cxx11Abi: readCxx11Abi(torchConfig, true),
    };
  }
  return null;
}

/**
 * Finds libtorch. Options (for tests): env (default process.env), python
 * (command, or false to skip), usr (default '/usr'), multiarchs.
 * Returns the discovery or null; throws LibtorchError for a bad LIBTORCH.
 */
function findLibtorch(options = {}) {
  const env = options.env || process.env;
  return fromEnv(env.LIBTORCH, env) ||
    fromPython(options.python === undefined ? 'python3' : options.python, env) ||
    fromSystem(options.usr || '/usr', options.multiarchs || multiarchCandidates(), env);
}

/** "cpu", or "cu" + the CUDA version without the dot ("13.0" -> "cu130"; "cuda" when unknown). */
function deviceTag(found) {
  if (!found.cuda) return 'cpu';
  const m = /^(\d+)\.(\d+)/.exec(found.cudaVersion || '');
  return m ? `cu${m[1]}${m[2]}` : 'cuda';
}

/**
 * The flavour of a discovered libtorch: { torch: "1.13", device: "cpu" | "cu130",
 * cxx11Abi: 0 | 1, tag }. Patch releases of libtorch keep the C++ API the
 * addon uses, so the flavour names major.minor; install.js still test-loads a
 * prebuilt binary before it uses it.
 */
function flavourOf(found) {
  const m = /^(\d+)\.(\d+)/.exec(found.version || '');
  const torch = m ? `${m[1]}.${m[2]}` : 'unknown';
  const device = deviceTag(found);
  const cxx11Abi = found.cxx11Abi ? 1 : 0;
  return { torch, device, cxx11Abi, tag: `torch-${torch}.${device}.cxx11abi${cxx11Abi}` };
}

/** The file name of the prebuilt addon for `found` (napi and glibc are node-gyp-build tags). */
function prebuiltFileName(found) {
  return `selfsup.napi.glibc.${flavourOf(found).tag}.node`;
}

/** Parses a prebuilt file name back into its flavour, or null when it is not one of ours. */
function parsePrebuiltFileName(name) {
  const m = /^selfsup\.(?:[\w-]+\.)*?torch-(\d+\.\d+)\.(cpu|cu\d+|cuda)\.cxx11abi([01])\.node$/.exec(name);
  if (!m) return null;
  return { torch: m[1], device: m[2], cxx11Abi: Number(m[3]), tag: `torch-${m[1]}.${m[2]}.cxx11abi${m[3]}` };
}

/** Quotes a path for gyp's shlex-split command expansions. */
function shq(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

/**
 * The link flags for libtorch. --no-as-needed keeps libtorch_cuda (which the
 * addon does not call directly) linked, so its CUDA kernels register at load
 * time; TorchConfig.cmake does the same for the cmake-js build.
 */
function libraries(found) {
  const libs = ['-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10'];
  if (found.cuda) libs.push('-ltorch_cuda', '-lc10_cuda');
  const omp = openmpBlasDir(found);
  if (omp) libs.push(...OPENMP_BLAS_LIBS.map((f) => path.join(omp, f)));
  libs.push('-Wl,--as-needed');
  return libs;
}

const OPENMP_BLAS_LIBS = ['libopenblas.so.0', 'libblas.so.3', 'liblapack.so.3'];

/**
 * Debian's OpenMP build of OpenBLAS next to a system libtorch, when installed
 * (libopenblas0-openmp): the addon links it directly and searches its folder
 * first, so libtorch uses it instead of the pthread build, whose thread pool
 * fights libtorch's libgomp one (CMakeLists.txt has the measurements). null
 * when absent or for other libtorch builds (they bring their own BLAS).
 */
function openmpBlasDir(found) {
  if (found.source !== 'system') return null;
  const dir = path.join(found.libDir, 'openblas-openmp');
  return OPENMP_BLAS_LIBS.every((f) => fs.existsSync(path.join(dir, f))) ? dir : null;
}

function cliOutput(flag, found) {
  switch (flag) {
    case '--json': return JSON.stringify(found, null, 2);
    case '--include-dirs': return found.includeDirs.concat(found.cudaIncludeDirs).map(shq).join(' ');
    case '--lib-dir': return found.libDir;
    case '--libraries': return libraries(found).join(' ');
    case '--ldflags': return [`-L${found.libDir}`, `-Wl,-rpath,${found.libDir}`].map(shq).join(' ');
    // Searched before $ORIGIN/torch-lib (binding.gyp puts it first).
    case '--blas-ldflags': return openmpBlasDir(found) ? shq(`-Wl,-rpath,${openmpBlasDir(found)}`) : '';
    // With libtorch's own exported definitions (USE_C10D_GLOO, ...), as its CMake targets give them to CMakeLists.txt.
    case '--defines':
      return [`_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi ? 1 : 0}`].concat(found.cuda ? ['SELFSUP_WITH_CUDA'] : [],
        caffe2Defines(found)).join(' ');
    case '--cmake-prefix-path': return found.cmakePrefixPath || '';
    case '--cmake': return cmakeFragment(found);
    case '--version': return found.version || '';
    case '--cxx-std': return cxxStandard(found);
    case '--flavour': return flavourOf(found).tag;
    default: return null;
  }
}

function main(argv) {
  const flag = argv[0] || '--json';
  let found;
  try {
    found = findLibtorch();
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
  if (!found) {
    process.stderr.write(`${notFoundMessage()}\n`);
    return 1;
  }
  const out = cliOutput(flag, found);
  if (out === null) {
    process.stderr.write(`find-libtorch: unknown option ${flag}; use --json, --include-dirs, --lib-dir, ` +
      '--libraries, --ldflags, --blas-ldflags, --defines, --cmake-prefix-path, --cmake, --version, --cxx-std or --flavour\n');
    return 2;
  }
  process.stdout.write(`${out}\n`);
  return 0;
}

module.exports = {
  findLibtorch, fromEnv, fromPython, fromSystem, notFoundMessage, LibtorchError, INSTALL_COMMAND,
  readVersion, readCxx11Abi, libraries, openmpBlasDir, flavourOf, prebuiltFileName, parsePrebuiltFileName,
  findCudaIncludeDirs, hasNvcc, cmakeFragment, cxxStandard,
};

if (require.main === module) process.exitCode = main(process.argv.slice(2));
