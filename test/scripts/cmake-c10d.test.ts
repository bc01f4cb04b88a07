// CMakeLists.txt's SELFSUP_C10D (the GPU script's fallback ladder: auto, then
// no-nccl, then stubs) reaches the two distributed sources and nothing else: a
// configure per value, read back from compile_commands.json; an unknown value
// is refused by name. The build itself with each value was checked by hand with
// a forced #error (docs/distributed.md); this keeps the option wired.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const root = repoRoot();
const DISTRIBUTED = ['distributed.cc', 'distributed_autograd.cc'];

interface Configured { status: number | null; output: string; defines: Map<string, string[]> }

function configure(mode: string): Configured {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cmake-c10d-'));
  try {
    const headers = path.join(path.dirname(require.resolve('node-api-headers/package.json', { paths: [root] })), 'include');
    const prefix = execFileSync(process.execPath, [path.join(root, 'scripts', 'find-libtorch.js'), '--cmake-prefix-path'],
      { encoding: 'utf8' }).trim();
    const r = spawnSync('cmake', ['-S', root, '-B', dir, '-DCMAKE_EXPORT_COMPILE_COMMANDS=ON', `-DNODE_API_HEADERS=${headers}`,
      `-DCMAKE_PREFIX_PATH=${prefix}`, `-DNODE_EXECUTABLE=${process.execPath}`, `-DSELFSUP_C10D=${mode}`], { encoding: 'utf8' });
    const defines = new Map<string, string[]>();
    const commands = path.join(dir, 'compile_commands.json');
    if (fs.existsSync(commands)) {
      for (const e of JSON.parse(fs.readFileSync(commands, 'utf8')) as { file: string; command: string }[]) {
        defines.set(path.basename(e.file), e.command.match(/-DSELFSUP_C10D_[A-Z_]+/g) ?? []);
      }
    }
    return { status: r.status, output: `${r.stdout}${r.stderr}`, defines };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('CMakeLists.txt: SELFSUP_C10D', function () {
  this.timeout(120_000);

  for (const [mode, expected] of [['auto', []], ['no-nccl', ['-DSELFSUP_C10D_NO_NCCL']], ['stubs', ['-DSELFSUP_C10D_STUBS']]] as
    [string, string[]][]) {
    it(`${mode}: ${expected.length ? expected[0].slice(2) : 'no definition'} on native/distributed*.cc only`, () => {
      const c = configure(mode);
      assert.equal(c.status, 0, c.output.slice(-3000));
      assert.ok(c.defines.size > 10, `compile_commands.json lists the native sources (${c.defines.size})`);
      for (const [file, found] of c.defines) {
        assert.deepEqual(found, DISTRIBUTED.includes(file) ? expected : [], file);
      }
    });
  }

  it('refuses another value by name', () => {
    const c = configure('nccl-only');
    assert.notEqual(c.status, 0);
    assert.match(c.output, /SELFSUP_C10D must be auto, no-nccl or stubs, got 'nccl-only'/);
  });
});
