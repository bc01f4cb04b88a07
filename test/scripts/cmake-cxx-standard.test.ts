// The C++ standard reaches the compile commands: the one libtorch's
// TorchConfig.cmake gives its torch target when above 17 (20 on Debian sid's
// libtorch 2.14, whose headers use `requires`), through both of
// CMakeLists.txt's ways to libtorch (find_package, and find-libtorch.js's
// fragment with SELFSUP_NO_TORCH_CMAKE); this machine's libtorch gets what its
// TorchConfig asks for (C++17 on Debian 12's 1.13 and 13's 2.6).
// A configure each, read back from compile_commands.json.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const root = repoRoot();
const finder = path.join(root, 'scripts', 'find-libtorch.js');

/** The -std flags of the addon's compile commands after a configure with `args` and `env`. */
function standards(args: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cmake-std-'));
  try {
    const headers = path.join(path.dirname(require.resolve('node-api-headers/package.json', { paths: [root] })), 'include');
    const r = spawnSync('cmake', ['-S', root, '-B', dir, '-DCMAKE_EXPORT_COMPILE_COMMANDS=ON', `-DNODE_API_HEADERS=${headers}`,
      `-DNODE_EXECUTABLE=${process.execPath}`, ...args], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`.slice(-3000));
    const commands = JSON.parse(fs.readFileSync(path.join(dir, 'compile_commands.json'), 'utf8')) as { command: string }[];
    assert.ok(commands.length > 10, `compile_commands.json lists the native sources (${commands.length})`);
    return [...new Set(commands.map((c) => (c.command.match(/-std=\S+/g) ?? []).join(' ')))];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A libtorch folder whose TorchConfig.cmake is a CMake package with torch (CXX_STANDARD `std`) and c10 targets. */
function fakeLibtorch(std: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-fake-torch-std-'));
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write('share/cmake/Torch/TorchConfig.cmake', [
    'add_library(torch SHARED IMPORTED)',
    'add_library(c10 SHARED IMPORTED)',
    `set_target_properties(torch PROPERTIES IMPORTED_LOCATION "${dir}/lib/libtorch.so"`,
    `    CXX_STANDARD ${std}`,
    ')',
    `set_target_properties(c10 PROPERTIES IMPORTED_LOCATION "${dir}/lib/libc10.so")`,
    'set(TORCH_LIBRARIES torch)',
    '',
  ].join('\n'));
  write('include/torch/csrc/api/include/torch/version.h', '#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 14\n' +
    '#define TORCH_VERSION_PATCH 1\n');
  write('lib/libtorch.so', '');
  write('lib/libc10.so', '');
  return dir;
}

describe('CMakeLists.txt: the C++ standard libtorch asks for', function () {
  this.timeout(120_000);
  const made: string[] = [];
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('this machine\'s libtorch: what its TorchConfig asks for, at least C++17 (17 on Debian 12 and 13, 20 on sid)', () => {
    const prefix = execFileSync(process.execPath, [finder, '--cmake-prefix-path'], { encoding: 'utf8' }).trim();
    const config = fs.readFileSync(path.join(prefix, 'Torch', 'TorchConfig.cmake'), 'utf8');
    const asked = Number(/\bCXX_STANDARD\s+(\d+)/.exec(config)?.[1] ?? 17);
    assert.deepEqual(standards([`-DCMAKE_PREFIX_PATH=${prefix}`]), [`-std=gnu++${Math.max(17, asked)}`]);
  });

  it('find_package: the torch target\'s CXX_STANDARD 20', () => {
    const torch = fakeLibtorch(20);
    made.push(torch);
    assert.deepEqual(standards([`-DCMAKE_PREFIX_PATH=${path.join(torch, 'share', 'cmake')}`]), ['-std=gnu++20']);
  });

  it('SELFSUP_NO_TORCH_CMAKE: find-libtorch.js reads CXX_STANDARD 20 from the same file', () => {
    const torch = fakeLibtorch(20);
    made.push(torch);
    assert.deepEqual(standards(['-DSELFSUP_NO_TORCH_CMAKE=ON'], { ...process.env, LIBTORCH: torch }), ['-std=gnu++20']);
  });
});
