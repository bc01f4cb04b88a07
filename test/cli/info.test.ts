import * as assert from 'node:assert/strict';
import { Command } from 'commander';
import { collectInfo, detectBlas, formatCudaVersion, formatCudnnVersion, formatInfo, registerInfo, Info } from '../../lib/cli/info';
import { addonPath, native } from '../../lib/torch/native';
import * as torch from '../../lib/torch';
import * as models from '../../lib/models';
import * as ssl from '../../lib/ssl';

/** Runs `selfsup info <args>` through commander and returns what it wrote to stdout. */
async function runInfo(args: string[]): Promise<string> {
  const p = new Command('selfsup').exitOverride();
  registerInfo(p);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await p.parseAsync(['node', 'selfsup', 'info', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

describe('cli/info', () => {
  it('names the BLAS from the loaded libraries and flags the reference BLAS as slow', () => {
    const deb = '/usr/lib/x86_64-linux-gnu';
    assert.deepEqual(detectBlas([`${deb}/libc10.so.1.13`, `${deb}/openblas-pthread/libblas.so.3`,
      `${deb}/openblas-pthread/libopenblasp-r0.3.21.so`], 'BLAS_INFO=generic'),
    { name: 'OpenBLAS (pthread)', path: `${deb}/openblas-pthread/libblas.so.3`, slow: false });
    assert.deepEqual(detectBlas([`${deb}/blas/libblas.so.3`], 'BLAS_INFO=generic'),
      { name: 'reference BLAS', path: `${deb}/blas/libblas.so.3`, slow: true });
    assert.equal(detectBlas([`${deb}/libmkl_rt.so`], '').name, 'MKL');
    assert.equal(detectBlas([`${deb}/blis-pthread/libblas.so.3`], '').name, 'BLIS');
    assert.deepEqual(detectBlas([], 'Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release'),
      { name: 'MKL (linked into libtorch)', path: null, slow: false });
    assert.equal(detectBlas([], '').name, 'unknown');
  });

  it('formats CUDA and cuDNN version numbers as torch.version.cuda and torch.backends.cudnn do', () => {
    assert.equal(formatCudaVersion(13000), '13.0');
    assert.equal(formatCudaVersion(12010), '12.1');
    assert.equal(formatCudaVersion(0), null);
    assert.equal(formatCudnnVersion(91000), '9.10.0');
    assert.equal(formatCudnnVersion(90100), '9.1.0');
    assert.equal(formatCudnnVersion(8907), '8.9.7');
    assert.equal(formatCudnnVersion(0), null);
  });

  it('reports the loaded libtorch, BLAS, threads and addon of this process', () => {
    const info = collectInfo();
    const config = native.config();
    assert.equal(info.libtorch.version, config.torchVersion);
    assert.equal(info.libtorch.cxx11Abi, config.cxx11Abi);
    assert.match(info.selfsup.version, /^\d+\.\d+\.\d+/);
    assert.equal(info.addon.path, addonPath);
    assert.equal(info.threads.intraOp, native.getNumThreads());
    assert.ok(info.threads.interOp >= 1);
    if (process.platform === 'linux') {
      assert.ok(info.libtorch.path, 'libc10 not found among the loaded libraries');
      assert.notEqual(info.blas.name, 'unknown');
    }
    assert.equal(info.cuda.available, native.cudaIsAvailable());
    assert.equal(info.cuda.gpus.length, info.cuda.available ? native.cudaDeviceCount() : 0);
    for (const g of info.cuda.gpus) {
      assert.ok(g.name.length > 0 && g.totalMemory > 0, JSON.stringify(g));
      assert.match(g.capability, /^\d+\.\d+$/);
    }
    if (!config.builtWithCuda) assert.equal(info.cuda.version, null);
    // The speed features follow this libtorch: none on 1.13 CPU (no CUDA, no fused kernels, composed attention).
    assert.equal(info.speed.cudaGraphs, config.builtWithCuda && info.cuda.available);
    assert.equal(info.speed.fusedAdamW, torch.listOps().some((n) => n.startsWith('aten::_fused_adamw_')));
    assert.equal(info.speed.fusedSgd, torch.listOps().some((n) => n.startsWith('aten::_fused_sgd_')));
    assert.equal(info.warnings.some((w) => w.includes('apt-get install libopenblas0-pthread')), info.blas.slow);
  });

  it('prints the report as text and as JSON', async () => {
    const text = await runInfo([]);
    for (const key of ['selfsup', 'node', 'libtorch', 'CUDA', 'cuDNN', 'BLAS', 'threads', 'malloc', 'speed', 'addon', 'methods', 'encoders']) {
      assert.match(text, new RegExp(`^${key}\\s{2,}\\S`, 'm'), text);
    }
    assert.ok(text.includes(addonPath), text);
    const json = JSON.parse(await runInfo(['--json'])) as Info;
    assert.equal(json.libtorch.version, native.config().torchVersion);
    assert.equal(json.addon.path, addonPath);
    // The registry's encoders and methods (train --help sends users here for --encoder).
    assert.deepEqual(json.encoders, models.list());
    assert.deepEqual(json.methods, ssl.list());
    for (const name of models.list()) assert.ok(new RegExp(`[ ,]${name}(,|$)`, 'm').test(text), `${name} missing:\n${text}`);
    assert.match(text, new RegExp(`^methods\\s+${ssl.list().join(', ')}$`, 'm'));
    // Where freed CPU memory goes, and who chose (lib/torch/host-malloc.ts).
    assert.equal(json.malloc.source, torch.hostMalloc()?.source);
    assert.match(text, new RegExp(`^malloc\\s+${json.malloc.detail.replace(/[()]/g, '\\$&')}$`, 'm'));
    // The thread count and where it came from.
    assert.equal(json.threads.intraOp, torch.getNumThreads());
    assert.equal(json.threads.source, torch.threadSetting()?.source);
    assert.match(text, new RegExp(`^threads\\s+${torch.getNumThreads()} intra-op \\(${json.threads.detail.replace(/[()]/g, '\\$&')}\\)`, 'm'));
  });

  it('lists GPUs with memory and warns about the reference BLAS', () => {
    const info: Info = {
      selfsup: { version: '0.1.0', path: '/p' }, node: { version: 'v20.0.0', napi: '9' },
      libtorch: { version: '2.11.0', path: '/t/lib', cxx11Abi: true, builtWithCuda: true },
      cuda: { available: true, version: '13.0', cudnnVersion: '9.10.0',
        gpus: [{ index: 0, name: 'NVIDIA H200', totalMemory: 150 * 2 ** 30, capability: '9.0' }] },
      blas: { name: 'reference BLAS', path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', slow: true },
      threads: { intraOp: 16, source: 'available cores', detail: 'available cores: affinity 16, no cgroup CPU limit', interOp: 16,
        ompWaitPolicy: 'PASSIVE (selfsup\'s default)' },
      malloc: { source: 'environment', detail: 'freed memory: the user\'s thresholds (MALLOC_TRIM_THRESHOLD_=0)' },
      encoders: ['resnet18', 'small_cnn'], methods: ['simclr'],
      speed: { cudaGraphs: true, fusedAdamW: true, fusedSgd: true, fusedAttention: true },
      addon: { source: 'prebuilt', path: '/p/prebuilds/linux-x64/x.node', flavour: 'torch-2.11.cu130.cxx11abi1', record: null },
      warnings: ['libtorch uses the reference BLAS: ... sudo apt-get install libopenblas0-pthread'],
    };
    const text = formatInfo(info);
    assert.match(text, /^GPU 0\s+NVIDIA H200, 150\.0 GiB, compute capability 9\.0$/m);
    assert.match(text, /^CUDA\s+13\.0$/m);
    assert.match(text, /^speed\s+CUDA graphs yes, fused AdamW yes, fused SGD yes, fused attention yes$/m);
    assert.match(text, /^malloc\s+freed memory: the user's thresholds \(MALLOC_TRIM_THRESHOLD_=0\)$/m);
    assert.match(text, /^addon\s+prebuilt: \/p\/prebuilds\/linux-x64\/x\.node$/m);
    assert.match(text, /^WARNING: .*apt-get install libopenblas0-pthread$/m);
  });
});
