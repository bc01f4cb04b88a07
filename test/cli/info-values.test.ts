// `selfsup info` by value (issue 21, lib/cli's mutation score): the report's exact text for reports of
// other machines (a CUDA build with GPUs and a flavour, a CPU build with reference BLAS and warnings),
// the encoders wrapped under their column; detectBlas for each BLAS family and the build-config fallback;
// the cuDNN 9 encoding's boundary; and what collectInfo reports here, field by field.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as foreach from '../../lib/torch/foreach';
import { collectInfo, detectBlas, formatCudnnVersion, formatInfo, Info, loadedLibraries, packageVersion } from '../../lib/cli/info';
import { addonPath, native } from '../../lib/torch/native';
import { ompWaitPolicy, recordThreads, recordWaitPolicy, threadSetting, ThreadSetting, WaitPolicy } from '../../lib/torch/threads';
import { hostMalloc, HostMallocSetting, recordHostMalloc } from '../../lib/torch/host-malloc';
import * as ssl from '../../lib/ssl';

const GPU_BOX: Info = {
  selfsup: { version: '9.8.7', path: '/opt/selfsup' },
  node: { version: 'v22.1.0', napi: '9' },
  libtorch: { version: '2.5.1', path: '/opt/torch/lib', cxx11Abi: true, builtWithCuda: true },
  cuda: { available: true, version: '12.4', cudnnVersion: '9.1.0', gpus: [
    { index: 0, name: 'NVIDIA H200', totalMemory: 150 * 2 ** 30, capability: '9.0' },
    { index: 1, name: 'NVIDIA H100', totalMemory: 85.5 * 2 ** 30, capability: '9.0' }] },
  blas: { name: 'MKL (linked into libtorch)', path: null, slow: false },
  threads: { intraOp: 16, source: 'main thread', detail: '16, as libtorch reports it', interOp: 8, ompWaitPolicy: 'PASSIVE (selfsup\'s default)' },
  malloc: { source: 'unknown', detail: 'not recorded' },
  encoders: ['small_cnn', 'resnet18', 'resnet50', 'vit_tiny_patch4_224', 'vit_small_patch16_224', 'vit_base_patch16_224',
    'unet_small', 'bert_tiny', 'albert_tiny', 'a_long_encoder_name_to_wrap'],
  methods: ['simclr', 'byol'],
  speed: { cudaGraphs: true, fusedAdamW: true, fusedSgd: false, fusedAttention: true },
  addon: { source: 'prebuilt', path: '/opt/selfsup/prebuilds/addon.node', flavour: 'cuda12', record: null },
  warnings: [],
};

describe('cli: selfsup info by value', () => {
  it('formatInfo: the exact text of a CUDA machine with two GPUs and an addon flavour', () => {
    assert.equal(formatInfo(GPU_BOX), [
      'selfsup   9.8.7 (/opt/selfsup)',
      'node      v22.1.0 (N-API 9)',
      'libtorch  2.5.1 (/opt/torch/lib, _GLIBCXX_USE_CXX11_ABI=1)',
      'CUDA      12.4',
      'cuDNN     9.1.0',
      'GPU 0     NVIDIA H200, 150.0 GiB, compute capability 9.0',
      'GPU 1     NVIDIA H100, 85.5 GiB, compute capability 9.0',
      'BLAS      MKL (linked into libtorch)',
      'threads   16 intra-op (16, as libtorch reports it), 8 inter-op; OpenMP wait policy PASSIVE (selfsup\'s default)',
      'malloc    not recorded',
      'speed     CUDA graphs yes, fused AdamW yes, fused SGD no, fused attention yes',
      'addon     prebuilt: /opt/selfsup/prebuilds/addon.node',
      'flavour   cuda12',
      'methods   simclr, byol',
      'encoders  small_cnn, resnet18, resnet50, vit_tiny_patch4_224, vit_small_patch16_224,',
      '          vit_base_patch16_224, unet_small, bert_tiny, albert_tiny, a_long_encoder_name_to_wrap',
      '',
    ].join('\n'));
  });

  it('formatInfo: a CPU build with reference BLAS, no GPU, unknown paths, and its warnings', () => {
    const cpu: Info = {
      ...GPU_BOX,
      libtorch: { version: '1.13.1', path: null, cxx11Abi: false, builtWithCuda: false },
      cuda: { available: false, version: null, cudnnVersion: null, gpus: [] },
      blas: { name: 'reference BLAS', path: '/usr/lib/blas/libblas.so.3', slow: true },
      speed: { cudaGraphs: false, fusedAdamW: false, fusedSgd: false, fusedAttention: false },
      addon: { source: 'build-folder', path: '/x/build/Release/selfsup.node', flavour: null, record: null },
      encoders: ['a', 'b'], methods: ['mae'], warnings: ['first warning', 'second warning'],
    };
    assert.equal(formatInfo(cpu), [
      'selfsup   9.8.7 (/opt/selfsup)',
      'node      v22.1.0 (N-API 9)',
      'libtorch  1.13.1 (path unknown, _GLIBCXX_USE_CXX11_ABI=0)',
      'CUDA      none (CPU build)',
      'cuDNN     none',
      'GPUs      none',
      'BLAS      reference BLAS (/usr/lib/blas/libblas.so.3)',
      'threads   16 intra-op (16, as libtorch reports it), 8 inter-op; OpenMP wait policy PASSIVE (selfsup\'s default)',
      'malloc    not recorded',
      'speed     CUDA graphs no, fused AdamW no, fused SGD no, fused attention no',
      'addon     built from source (build/Release, no install record): /x/build/Release/selfsup.node',
      'methods   mae',
      'encoders  a, b',
      'WARNING: first warning',
      'WARNING: second warning',
      '',
    ].join('\n'));
    // A CUDA build whose runtime is not loaded says so; SELFSUP_ADDON and an installed build are named.
    const text = formatInfo({ ...cpu, libtorch: { ...cpu.libtorch, builtWithCuda: true }, addon: { ...cpu.addon, source: 'SELFSUP_ADDON' } });
    assert.match(text, /\nCUDA      built with CUDA, runtime not loaded\n/);
    assert.match(text, /\naddon     named by SELFSUP_ADDON: \/x\/build\/Release\/selfsup\.node\n/);
    assert.match(formatInfo({ ...cpu, addon: { ...cpu.addon, source: 'built' } }), /\naddon     built from source at install: /);
    assert.match(formatInfo({ ...cpu, addon: { ...cpu.addon, source: 'adopted' } }),
      /\naddon     prebuilt, chosen at load \(npm did not run the install script\): \/x\/build\/Release\/selfsup\.node\n/);
    // Lines of the encoder list hold at most 90 characters: two of 44 fit on one line (90), a third goes on the next.
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(44));
    assert.ok(formatInfo({ ...cpu, encoders: [a, b, c] }).endsWith(`encoders  ${a}, ${b},\n          ${c}\nWARNING: first warning\nWARNING: second warning\n`));
    assert.ok(formatInfo({ ...cpu, encoders: [`${a}x`, b] }).endsWith(`encoders  ${a}x,\n          ${b}\nWARNING: first warning\nWARNING: second warning\n`));
  });

  it('detectBlas: each family by file or folder name, the reference BLAS by path, else libtorch\'s build config', () => {
    const d = '/usr/lib/x86_64-linux-gnu';
    assert.deepEqual(detectBlas([`${d}/libatlas.so.3`], ''), { name: 'ATLAS', path: `${d}/libatlas.so.3`, slow: false });
    assert.deepEqual(detectBlas([`${d}/libflexiblas.so.3`], ''), { name: 'FlexiBLAS', path: `${d}/libflexiblas.so.3`, slow: false });
    assert.deepEqual(detectBlas([`${d}/openblas-openmp/libblas.so.3`], ''), { name: 'OpenBLAS (openmp)', path: `${d}/openblas-openmp/libblas.so.3`, slow: false });
    assert.deepEqual(detectBlas([`${d}/libopenblas.so.0`], ''), { name: 'OpenBLAS', path: `${d}/libopenblas.so.0`, slow: false });
    assert.deepEqual(detectBlas([`${d}/libc.so.6`, `${d}/libblas.so.3`], ''), { name: 'reference BLAS', path: `${d}/libblas.so.3`, slow: true });
    assert.deepEqual(detectBlas([`${d}/libc.so.6`], 'BLAS_INFO=open'), { name: 'open (not found among the loaded libraries)', path: null, slow: false });
    assert.deepEqual(detectBlas([`${d}/libc.so.6`], ''), { name: 'unknown', path: null, slow: false });
  });

  it('formatCudnnVersion: cuDNN 9\'s encoding from 10000 on', () => {
    assert.equal(formatCudnnVersion(10000), '1.0.0');
    assert.equal(formatCudnnVersion(9999), '9.9.99');
    assert.equal(formatCudnnVersion(0), null);
  });

  it('collectInfo here: versions, paths, libraries, registry, the CPU build\'s fields', () => {
    const info = collectInfo();
    const root = path.resolve(__dirname, '..', '..', '..');
    assert.deepEqual(info.selfsup, { version: packageVersion(root), path: root });
    assert.equal(packageVersion('/nonexistent'), 'unknown');
    assert.deepEqual(info.node, { version: process.version, napi: process.versions.napi });
    const libraries = loadedLibraries();
    assert.ok(libraries.length > 0 && libraries.every((f) => f.startsWith('/') && /\.so(\.|$)/.test(f)), libraries.join('\n'));
    assert.ok(libraries.some((f) => /\/libc10\.so/.test(f)));
    assert.equal(new Set(libraries).size, libraries.length);
    assert.deepEqual(info.methods, ssl.list());
    assert.equal(info.addon.path, addonPath);
    assert.equal(info.speed.cudaGraphs, info.libtorch.builtWithCuda && info.cuda.available);
    assert.deepEqual(info.warnings, [
      ...(info.blas.slow ? ['libtorch uses the reference BLAS: matrix products and convolutions run about 20x slower. ' +
        'Install OpenBLAS: sudo apt-get install libopenblas0-pthread'] : []),
      ...(info.libtorch.builtWithCuda && !info.cuda.available ? [info.warnings[info.warnings.length - 1]] : []),
    ]);
  });

  it('collectInfo: the thread count\'s source when it is the one recorded, else libtorch\'s; the wait policy; malloc', () => {
    const saved = { threads: threadSetting(), policy: ompWaitPolicy(), malloc: hostMalloc() };
    const { numThreads: intraOp, numInteropThreads: interOp } = native.config();
    try {
      recordWaitPolicy({ value: 'ACTIVE', setBySelfsup: false });
      recordThreads({ count: intraOp, source: '--threads', detail: `--threads ${intraOp}` });
      assert.deepEqual(collectInfo().threads, { intraOp, source: '--threads', detail: `--threads ${intraOp}`, interOp, ompWaitPolicy: 'ACTIVE' });
      recordWaitPolicy({ value: 'PASSIVE', setBySelfsup: true });
      recordThreads({ count: intraOp + 1, source: 'OMP_NUM_THREADS', detail: 'x' });
      const libtorchs = { intraOp, source: 'main thread', detail: `${intraOp}, as libtorch reports it`, interOp };
      assert.deepEqual(collectInfo().threads, { ...libtorchs, ompWaitPolicy: 'PASSIVE (selfsup\'s default)' });
      recordWaitPolicy(null as unknown as WaitPolicy);
      recordThreads(null as unknown as ThreadSetting);
      assert.deepEqual(collectInfo().threads, { ...libtorchs, ompWaitPolicy: 'unknown' });
      recordHostMalloc({ mmapThreshold: 1, trimThreshold: 2, source: 'environment', detail: 'from MALLOC_*' } as HostMallocSetting);
      assert.deepEqual(collectInfo().malloc, { source: 'environment', detail: 'from MALLOC_*' });
      recordHostMalloc(null as unknown as HostMallocSetting);
      assert.deepEqual(collectInfo().malloc, { source: 'unknown', detail: 'not recorded' });
    } finally {
      if (saved.threads !== null) recordThreads(saved.threads); else recordThreads(null as unknown as ThreadSetting);
      recordWaitPolicy(saved.policy as WaitPolicy);
      recordHostMalloc(saved.malloc as HostMallocSetting);
    }
  });
});

// Another machine, faked in this process: the addon's answers (a CUDA build, its runtime and devices), the mapped
// libraries (/proc/self/maps) and the operator lookups are replaced for one collectInfo call each.
describe('cli: selfsup info by value on another machine (collectInfo with the environment faked)', () => {
  const MAPS = [
    '7f00-7f01 r-xp 00000000 08:01 11 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3',
    '  7f01-7f02 r-xp 00000000 08:01 12   /opt/torch/lib/libc10.so',
    '7f02-7f03 r-xp 00000000 08:01 13 /usr/lib/libz.so',
    '7f03-7f04 r-xp 00000000 08:01 14 relative/libx.so.1',
    '7f04-7f05 r-xp 00000000 00:00 0 [vdso]',
    '7f05-7f06 rw-p 00000000 00:00 0',
    '7f06-7f07 r-xp 00000000 08:01 11 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3',
    '7f07-7f08 r-xp 00000000 08:01 15 /usr/lib/libfoo.sox',
  ].join('\n');
  // The module itself (an `import * as` of a CommonJS module is a copy with getters): info.ts reads through to it.
  const nodeFs = require('node:fs') as typeof fs;
  const real = { config: native.config, available: native.cudaIsAvailable, devices: native.cudaDevices, read: nodeFs.readFileSync, hasOp: foreach.hasOp };
  let maps: string | undefined;
  const asked: string[] = [];
  beforeEach(() => {
    maps = MAPS;
    asked.length = 0;
    (nodeFs as { readFileSync: unknown }).readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (file !== '/proc/self/maps') return (real.read as (...a: unknown[]) => unknown)(file, ...rest);
      if (maps === undefined) throw new Error('EACCES');
      return maps;
    }) as typeof fs.readFileSync;
    (foreach as { hasOp: unknown }).hasOp = (op: string) => { asked.push(op); return op === 'aten::_fused_adamw_'; };
  });
  afterEach(() => {
    Object.assign(native, { config: real.config, cudaIsAvailable: real.available, cudaDevices: real.devices });
    (nodeFs as { readFileSync: unknown }).readFileSync = real.read;
    (foreach as { hasOp: unknown }).hasOp = real.hasOp;
  });

  const BLAS_WARNING = 'libtorch uses the reference BLAS: matrix products and convolutions run about 20x slower. ' +
    'Install OpenBLAS: sudo apt-get install libopenblas0-pthread';

  it('the mapped libraries: absolute .so files once each (leading blanks, unversioned .so), none when the map is unreadable', () => {
    assert.deepEqual(loadedLibraries(), ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', '/opt/torch/lib/libc10.so', '/usr/lib/libz.so']);
    maps = undefined;
    assert.deepEqual(loadedLibraries(), []);
    assert.deepEqual(collectInfo().blas, detectBlas([], real.config().buildConfig));
  });

  it('a CUDA build with a visible GPU: versions, the GPU, CUDA graphs, the reference BLAS warning, the fused kernels asked by name', () => {
    const config = real.config();
    Object.assign(native, {
      config: () => ({ ...config, builtWithCuda: true, cudaRuntimeVersion: 12040, cudnnVersion: 90100 }),
      cudaIsAvailable: () => true,
      cudaDevices: () => [{ index: 0, name: 'NVIDIA H200', totalMemory: 2 ** 30, major: 9, minor: 0 }],
    });
    const info = collectInfo();
    assert.deepEqual(info.cuda, { available: true, version: '12.4', cudnnVersion: '9.1.0',
      gpus: [{ index: 0, name: 'NVIDIA H200', totalMemory: 2 ** 30, capability: '9.0' }] });
    assert.deepEqual(info.libtorch, { version: config.torchVersion, path: '/opt/torch/lib', cxx11Abi: config.cxx11Abi, builtWithCuda: true });
    assert.deepEqual(info.blas, { name: 'reference BLAS', path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', slow: true });
    assert.deepEqual([info.speed.cudaGraphs, info.speed.fusedAdamW, info.speed.fusedSgd], [true, true, false]);
    assert.deepEqual(asked.filter((op) => /_fused_(adamw|sgd)_$/.test(op)), ['aten::_fused_adamw_', 'aten::_fused_sgd_']);
    assert.deepEqual(info.warnings, [BLAS_WARNING]);
    // The same build where no GPU is visible: no GPUs, no CUDA graphs, and a warning.
    native.cudaIsAvailable = () => false;
    const none = collectInfo();
    assert.deepEqual([none.cuda.available, none.cuda.gpus, none.speed.cudaGraphs], [false, [], false]);
    assert.deepEqual(none.warnings, [BLAS_WARNING,
      'this addon is built with CUDA but no GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)']);
    // A CPU build that sees no GPU: no warning about it, no CUDA graphs.
    native.config = () => ({ ...config, builtWithCuda: false });
    maps = '7f00-7f01 r-xp 00000000 08:01 11 /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3';
    const cpu = collectInfo();
    assert.deepEqual([cpu.warnings, cpu.speed.cudaGraphs, cpu.blas.name], [[], false, 'OpenBLAS (pthread)']);
    // A GPU seen by a build without CUDA (cannot happen, but the two conditions are both needed).
    native.cudaIsAvailable = () => true;
    assert.equal(collectInfo().speed.cudaGraphs, false);
  });

  it('without a readable package.json above it: the folder three levels above dist/lib/cli, version unknown', () => {
    const read = nodeFs.readFileSync;
    (nodeFs as { readFileSync: unknown }).readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (String(file).endsWith('package.json')) throw new Error('ENOENT');
      return (read as (...a: unknown[]) => unknown)(file, ...rest);
    }) as typeof fs.readFileSync;
    assert.deepEqual(collectInfo().selfsup, { version: 'unknown', path: path.resolve(__dirname, '..', '..', '..') });
  });

  it('the package root is the first folder above whose package.json is named selfsup (others are passed by)', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const read = nodeFs.readFileSync;
    const seen: string[] = [];
    (nodeFs as { readFileSync: unknown }).readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (!String(file).endsWith('package.json') || String(file) === path.join(root, 'package.json')) {
        return (read as (...a: unknown[]) => unknown)(file, ...rest);
      }
      seen.push(path.dirname(String(file)));
      return '{"name": "other", "version": "0.0.0"}';
    }) as typeof fs.readFileSync;
    assert.equal(collectInfo().selfsup.path, root);
    assert.ok(seen.length >= 1, 'the folders below the root were looked at');
  });

  it('an encoder name longer than the line starts the list alone, with no empty line before it', () => {
    const long = 'x'.repeat(95);
    const text = formatInfo({ ...collectInfo(), encoders: [long, 'small_cnn'], warnings: [] });
    assert.ok(text.endsWith(`encoders  ${long},\n          small_cnn\n`), text);
  });

  it('a Node without N-API reports it as unknown', () => {
    const napi = Object.getOwnPropertyDescriptor(process.versions, 'napi')!;
    delete (process.versions as { napi?: string }).napi;
    try {
      assert.equal(collectInfo().node.napi, 'unknown');
    } finally {
      Object.defineProperty(process.versions, 'napi', napi);
    }
  });
});
