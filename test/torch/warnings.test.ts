// libtorch's warnings become Node warnings (process.emitWarning) or are
// caught by torch.catchWarnings, instead of raw stderr lines. The warning
// used is a real one: an `out=` tensor of the wrong (non-empty) shape, which
// libtorch resizes with "An output with one or more elements was resized".
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as torch from '../../lib/torch';

const RESIZED = /An output with one or more elements was resized since it had shape \[3\]/;

function warnOnce(): void {
  torch.scope(() => {
    const out = torch.empty([3]);
    torch.ops.aten.add.out(torch.ones([2]), torch.ones([2]), { out });
  });
}

describe('libtorch warnings', () => {
  it('catchWarnings returns what libtorch warned during the function, with its source', () => {
    const { result, warnings } = torch.catchWarnings(() => { warnOnce(); warnOnce(); return 7; });
    assert.equal(result, 7);
    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    assert.match(warnings[0].message, RESIZED);
    assert.match(warnings[0].source, /Resize\.cpp:\d+$/);
    assert.deepEqual(torch.catchWarnings(() => torch.scope(() => torch.ones([2]).add(1))).warnings, []);
  });

  it('nested catchWarnings: each gets its own', () => {
    const outer = torch.catchWarnings(() => {
      warnOnce();
      const inner = torch.catchWarnings(() => warnOnce());
      assert.equal(inner.warnings.length, 1);
      return 0;
    });
    assert.equal(outer.warnings.length, 1);
  });

  it('outside catchWarnings they are Node warnings (TorchWarning), once per message, and not raw stderr lines', () => {
    const index = path.resolve(__dirname, '..', '..', 'lib', 'torch', 'index.js');
    const child = `
      const torch = require(${JSON.stringify(index)});
      const seen = [];
      process.on('warning', (w) => seen.push(w.name + ': ' + w.message));
      for (let i = 0; i < 3; i++) torch.scope(() => torch.ops.aten.add.out(torch.ones([2]), torch.ones([2]), { out: torch.empty([3]) }));
      setTimeout(() => console.log(JSON.stringify(seen)), 50);
    `;
    const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as string[];
    assert.equal(seen.length, 1, r.stdout);
    assert.match(seen[0], /^TorchWarning: An output with one or more elements was resized/);
    // libtorch's own handler prints "[W Resize.cpp:17] Warning: ..." lines; Node prints "(node:PID) TorchWarning: ...".
    assert.doesNotMatch(r.stderr, /\[W [A-Za-z]+\.cpp/);
    assert.match(r.stderr, /TorchWarning: An output with one or more elements was resized/);
  });
});
