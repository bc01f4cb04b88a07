// `selfsup info`: what this installation runs on. The first thing to paste
// into a bug report, and the check that a GPU machine really uses its GPU.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { native, addonOrigin, AddonSource } from '../torch/native';
import { hasOp } from '../torch/foreach';
import { usesFusedAttention } from '../nn/functional/attention';
import { ompWaitPolicy, threadSetting, ThreadSource } from '../torch/threads';
import { hostMalloc, HostMallocSource } from '../torch/host-malloc';
import { list as listEncoders } from '../models/registry';
import { list as listMethods } from '../ssl/registry';

/** The BLAS library libtorch runs matrix products on. */
export interface BlasInfo {
  /** `OpenBLAS (pthread)`, `MKL`, `BLIS`, `reference BLAS`, ... */
  name: string;
  /** The shared library mapped into this process, or null when BLAS is linked into libtorch. */
  path: string | null;
  /** True for the reference (netlib) BLAS, about 20x slower than OpenBLAS. */
  slow: boolean;
}

/** A visible GPU. */
export interface GpuInfo {
  index: number;
  name: string;
  /** Bytes of device memory. */
  totalMemory: number;
  /** Compute capability, e.g. `9.0`. */
  capability: string;
}

/** Everything `selfsup info` prints; `selfsup info --json` prints this object. */
export interface Info {
  selfsup: { version: string; path: string };
  node: { version: string; napi: string };
  libtorch: { version: string; path: string | null; cxx11Abi: boolean; builtWithCuda: boolean };
  cuda: { available: boolean; version: string | null; cudnnVersion: string | null; gpus: GpuInfo[] };
  blas: BlasInfo;
  /** Intra-op threads, where that number came from (lib/torch/threads.ts), and inter-op threads. */
  threads: { intraOp: number; source: ThreadSource; detail: string; interOp: number; ompWaitPolicy: string };
  /** Whether freed CPU memory stays in the process, and who chose (lib/torch/host-malloc.ts). */
  malloc: { source: HostMallocSource | 'unknown'; detail: string };
  /** The registry's encoders (`--encoder`, `models.create`) and methods (`selfsup train <method>`). */
  encoders: string[];
  methods: string[];
  /** The GPU speed features this build and libtorch can use (docs/gpu.md). */
  speed: { cudaGraphs: boolean; fusedAdamW: boolean; fusedSgd: boolean; fusedAttention: boolean };
  addon: { source: AddonSource; path: string; flavour: string | null; record: string | null };
  warnings: string[];
}

/** The package root: the folder above this file with package.json named "selfsup". */
function packageRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    try {
      if ((JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
    } catch {
      // no package.json here, or not ours: keep walking up
    }
  }
  return path.resolve(__dirname, '..', '..', '..');
}

/**
 * The version in selfsup's package.json; 'unknown' when it cannot be read.
 * @example packageVersion() // '0.1.0'
 */
export function packageVersion(root: string = packageRoot()): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The shared libraries mapped into this process (Linux /proc/self/maps; empty elsewhere).
 *
 * @example loadedLibraries().some((f) => f.includes('libtorch'))
 */
export function loadedLibraries(): string[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const file = line.trim().split(/\s+/)[5];
    if (file && file.startsWith('/') && /\.so(\.|$)/.test(file)) seen.add(file);
  }
  return [...seen];
}

/**
 * Names the BLAS from the mapped libraries, else from libtorch's build
 * configuration (`BLAS_INFO=mkl` when MKL is linked into libtorch, as in the
 * PyTorch wheels for x86).
 *
 * @example detectBlas(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'], '').slow === true
 */
export function detectBlas(libraries: readonly string[], buildConfig: string): BlasInfo {
  const kinds: [RegExp, (file: string) => string][] = [
    [/openblas/i, (f) => {
      const variant = /openblas-(pthread|openmp|serial)/.exec(f);
      return variant ? `OpenBLAS (${variant[1]})` : 'OpenBLAS';
    }],
    [/libmkl/i, () => 'MKL'],
    [/blis/i, () => 'BLIS'],
    [/atlas/i, () => 'ATLAS'],
    [/flexiblas/i, () => 'FlexiBLAS'],
  ];
  for (const [re, name] of kinds) {
    const file = libraries.find((f) => re.test(path.basename(f)) || re.test(path.dirname(f)));
    if (file) return { name: name(file), path: file, slow: false };
  }
  // NOTE: Debian's libtorch links the generic libblas.so.3; update-alternatives
  // decides what it is. The reference implementation lives in .../blas/.
  const reference = libraries.find((f) => /\/blas\/libblas\.so/.test(f) || /\/libblas\.so/.test(f));
  if (reference) return { name: 'reference BLAS', path: reference, slow: true };
  const m = /BLAS_INFO=(\w+)/.exec(buildConfig);
  if (m && m[1] === 'mkl') return { name: 'MKL (linked into libtorch)', path: null, slow: false };
  return { name: m ? `${m[1]} (not found among the loaded libraries)` : 'unknown', path: null, slow: false };
}

/**
 * "12.1" from cudaRuntimeGetVersion's 12010; null for 0 (no CUDA).
 *
 * @example formatCudaVersion(13000) === '13.0'
 */
export function formatCudaVersion(v: number): string | null {
  if (!v) return null;
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/**
 * "9.1.0" from cuDNN 9's 90100, "8.9.7" from cuDNN 8's 8907; null for 0.
 *
 * @example formatCudnnVersion(8907) === '8.9.7'
 */
export function formatCudnnVersion(v: number): string | null {
  if (!v) return null;
  // NOTE: cuDNN 9 changed the encoding from major*1000 to major*10000.
  const [major, rest] = v >= 10000 ? [Math.floor(v / 10000), v % 10000] : [Math.floor(v / 1000), v % 1000];
  return `${major}.${Math.floor(rest / 100)}.${rest % 100}`;
}

/** The folder of the loaded libtorch (where libc10 was mapped from). */
function libtorchPath(libraries: readonly string[]): string | null {
  const c10 = libraries.find((f) => /\/libc10\.so/.test(f));
  return c10 ? path.dirname(c10) : null;
}

/**
 * Collects what `selfsup info` prints: versions, devices, BLAS, threads and the loaded addon.
 *
 * @example
 * const info = collectInfo();
 * console.log(info.libtorch.version, info.cuda.gpus.map((g) => g.name));
 */
export function collectInfo(): Info {
  const root = packageRoot();
  const config = native.config();
  const libraries = loadedLibraries();
  const available = native.cudaIsAvailable();
  const gpus: GpuInfo[] = available
    ? native.cudaDevices().map((d) => ({ index: d.index, name: d.name, totalMemory: d.totalMemory,
      capability: `${d.major}.${d.minor}` }))
    : [];
  const blas = detectBlas(libraries, config.buildConfig);
  const warnings: string[] = [];
  if (blas.slow) {
    warnings.push('libtorch uses the reference BLAS: matrix products and convolutions run about 20x slower. ' +
      'Install OpenBLAS: sudo apt-get install libopenblas0-pthread');
  }
  if (config.builtWithCuda && !available) {
    warnings.push('this addon is built with CUDA but no GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)');
  }
  return {
    selfsup: { version: packageVersion(root), path: root },
    node: { version: process.version, napi: process.versions.napi ?? 'unknown' },
    libtorch: { version: config.torchVersion, path: libtorchPath(libraries), cxx11Abi: config.cxx11Abi,
      builtWithCuda: config.builtWithCuda },
    cuda: { available, version: formatCudaVersion(config.cudaRuntimeVersion),
      cudnnVersion: formatCudnnVersion(config.cudnnVersion), gpus },
    blas,
    threads: threadsInfo(config.numThreads, config.numInteropThreads),
    malloc: mallocInfo(),
    encoders: [...listEncoders()],
    methods: [...listMethods()],
    speed: {
      cudaGraphs: config.builtWithCuda && available, fusedAdamW: hasOp('aten::_fused_adamw_'),
      fusedSgd: hasOp('aten::_fused_sgd_'), fusedAttention: usesFusedAttention(),
    },
    addon: { ...addonOrigin },
    warnings,
  };
}

/** The thread counts with the source of the intra-op one (libtorch's own when something else set it). */
function threadsInfo(intraOp: number, interOp: number): Info['threads'] {
  const set = threadSetting();
  const policy = ompWaitPolicy();
  const wait = policy === null ? 'unknown' : `${policy.value}${policy.setBySelfsup ? ' (selfsup\'s default)' : ''}`;
  if (set !== null && set.count === intraOp) return { intraOp, source: set.source, detail: set.detail, interOp, ompWaitPolicy: wait };
  return { intraOp, source: 'main thread', detail: `${intraOp}, as libtorch reports it`, interOp, ompWaitPolicy: wait };
}

/** The malloc thresholds the addon load set and who chose them. */
function mallocInfo(): Info['malloc'] {
  const set = hostMalloc();
  return set === null ? { source: 'unknown', detail: 'not recorded' } : { source: set.source, detail: set.detail };
}

/** `items` joined by ', ' in lines of at most `width` characters, continued under `indent` spaces. */
function wrapList(items: readonly string[], width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line === '' ? item : `${line}, ${item}`;
    if (next.length > width && line !== '') {
      lines.push(`${line},`);
      line = item;
    } else {
      line = next;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const ADDON_SOURCES: Record<AddonSource, string> = {
  'SELFSUP_ADDON': 'named by SELFSUP_ADDON',
  'prebuilt': 'prebuilt',
  'built': 'built from source at install',
  'build-folder': 'built from source (build/Release, no install record)',
  'adopted': 'prebuilt, chosen at load (npm did not run the install script)',
};

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/**
 * The report as aligned text lines.
 *
 * @example process.stdout.write(formatInfo(collectInfo()));
 */
export function formatInfo(info: Info): string {
  const rows: [string, string][] = [
    ['selfsup', `${info.selfsup.version} (${info.selfsup.path})`],
    ['node', `${info.node.version} (N-API ${info.node.napi})`],
    ['libtorch', `${info.libtorch.version} (${info.libtorch.path ?? 'path unknown'}, ` +
      `_GLIBCXX_USE_CXX11_ABI=${info.libtorch.cxx11Abi ? 1 : 0})`],
    ['CUDA', info.libtorch.builtWithCuda ? (info.cuda.version ?? 'built with CUDA, runtime not loaded')
      : 'none (CPU build)'],
    ['cuDNN', info.cuda.cudnnVersion ?? 'none'],
  ];
  if (info.cuda.gpus.length === 0) rows.push(['GPUs', 'none']);
  for (const g of info.cuda.gpus) {
    rows.push([`GPU ${g.index}`, `${g.name}, ${gib(g.totalMemory)}, compute capability ${g.capability}`]);
  }
  rows.push(['BLAS', `${info.blas.name}${info.blas.path ? ` (${info.blas.path})` : ''}`]);
  rows.push(['threads', `${info.threads.intraOp} intra-op (${info.threads.detail}), ${info.threads.interOp} inter-op; ` +
    `OpenMP wait policy ${info.threads.ompWaitPolicy}`]);
  rows.push(['malloc', info.malloc.detail]);
  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  rows.push(['speed', `CUDA graphs ${yes(info.speed.cudaGraphs)}, fused AdamW ${yes(info.speed.fusedAdamW)}, ` +
    `fused SGD ${yes(info.speed.fusedSgd)}, fused attention ${yes(info.speed.fusedAttention)}`]);
  rows.push(['addon', `${ADDON_SOURCES[info.addon.source]}: ${info.addon.path}`]);
  if (info.addon.flavour) rows.push(['flavour', info.addon.flavour]);
  rows.push(['methods', info.methods.join(', ')]);
  const width = Math.max(...rows.map(([k]) => k.length), 'encoders'.length);
  rows.push(['encoders', wrapList(info.encoders, 90, width + 2)]);
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  for (const w of info.warnings) lines.push(`WARNING: ${w}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Registers `selfsup info [--json]`.
 *
 * @example registerInfo(new Command('selfsup')); // then: selfsup info --json
 */
export function registerInfo(p: Command): void {
  p.command('info')
    .description('Print versions, devices, BLAS, threads (and where their number came from), the registry\'s ' +
      'methods and encoders, and the loaded addon')
    .option('--json', 'print the report as JSON')
    .action((opts: { json?: boolean }) => {
      const info = collectInfo();
      process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
    });
}
