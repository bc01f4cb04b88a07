// How a prebuilt binary finds a libtorch it was not built next to: its
// run-time search path starts with $ORIGIN/torch-lib, and install.js links
// that name to the discovered libtorch's lib folder. Simulated with tiny C
// libraries laid out like a pip torch: site/torch/lib/libfoo.so, whose own
// RUNPATH reaches site/nvidia/bar/lib/libbar.so through $ORIGIN/../../ (as
// libtorch_cuda.so reaches the nvidia-* wheels).
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanUp, repoRoot, tempDir } from './package-fixture';

const install = require(path.join(repoRoot(), 'scripts', 'install.js')) as {
  linkTorchLib(dir: string, libDir: string): string;
  probeAddon(file: string): { ok: boolean; reason?: string };
};

function cc(args: string[]): void {
  const r = childProcess.spawnSync('cc', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `cc ${args.join(' ')}\n${r.stderr}`);
}

/** The folder with node_api.h: next to this node, else the node-api-headers package. */
function nodeApiHeaders(): string | null {
  const dirs = [path.resolve(process.execPath, '..', '..', 'include', 'node')];
  try {
    dirs.push(path.join(path.dirname(require.resolve('node-api-headers/package.json', { paths: [repoRoot()] })), 'include'));
  } catch {
    // not installed: only the headers next to node
  }
  return dirs.find((d) => fs.existsSync(path.join(d, 'node_api.h'))) ?? null;
}

/** Loads `addon` in a child process and returns foo() or the error text. */
function callFoo(addon: string): { value?: number; error?: string } {
  const r = childProcess.spawnSync(process.execPath, ['-e', 'process.stdout.write(String(require(process.argv[1]).foo()))', addon],
    { encoding: 'utf8' });
  return r.status === 0 ? { value: Number(r.stdout) } : { error: r.stderr };
}

describe('install: $ORIGIN/torch-lib finds a libtorch in another package', () => {
  after(cleanUp);

  it('loads through the link, and libtorch\'s own $ORIGIN/../.. paths still resolve', function () {
    const headers = nodeApiHeaders();
    if (process.platform !== 'linux' || !headers ||
      childProcess.spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    const root = tempDir('selfsup-torch-lib-');
    const bar = path.join(root, 'site', 'nvidia', 'bar', 'lib');
    const torchLib = path.join(root, 'site', 'torch', 'lib');
    const prebuilds = path.join(root, 'pkg', 'prebuilds', 'linux-x64');
    for (const d of [bar, torchLib, prebuilds]) fs.mkdirSync(d, { recursive: true });
    const src = (name: string, text: string): string => {
      fs.writeFileSync(path.join(root, name), text);
      return path.join(root, name);
    };
    cc(['-shared', '-fPIC', '-o', path.join(bar, 'libbar.so'), src('bar.c', 'int bar(void) { return 42; }\n')]);
    cc(['-shared', '-fPIC', '-o', path.join(torchLib, 'libfoo.so'), src('foo.c', 'int bar(void);\nint foo(void) { return bar(); }\n'),
      `-L${bar}`, '-lbar', '-Wl,-rpath,$ORIGIN/../../nvidia/bar/lib']);
    const addon = path.join(prebuilds, 'selfsup.napi.glibc.torch-2.11.cu130.cxx11abi1.node');
    cc(['-shared', '-fPIC', `-I${headers}`, '-o', addon, src('addon.c', [
      '#include <node_api.h>',
      'int foo(void);',
      'static napi_value Foo(napi_env env, napi_callback_info info) {',
      '  napi_value r; napi_create_int32(env, foo(), &r); return r;',
      '}',
      'NAPI_MODULE_INIT() {',
      '  napi_value fn; napi_create_function(env, "foo", NAPI_AUTO_LENGTH, Foo, NULL, &fn);',
      '  napi_set_named_property(env, exports, "foo", fn); return exports;',
      '}',
    ].join('\n')), `-L${torchLib}`, '-lfoo', '-Wl,-rpath,$ORIGIN/torch-lib']);

    // The build machine's torch/lib is not on this "machine": without the link, nothing finds libfoo.
    assert.match(callFoo(addon).error ?? '', /libfoo\.so: cannot open shared object file/);
    const link = install.linkTorchLib(prebuilds, torchLib);
    assert.equal(fs.readlinkSync(link), torchLib);
    assert.deepEqual(callFoo(addon), { value: 42 });
    // Relinking (npm rebuild after torch moved) replaces the old link.
    install.linkTorchLib(prebuilds, torchLib);
    assert.deepEqual(callFoo(addon), { value: 42 });
  });
});
