// Nothing from JS may crash the process: every native entry point, called
// with garbage (wrong types, stale and forged handles, throwing Proxies),
// must throw a JS Error or return. Run in a child process, so a crash fails
// this test instead of killing the test run.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = `
const { torch } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib'))});
const { native } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'torch', 'native'))});
const t = torch.ones([2, 2]);
const disposed = torch.ones([2]);
disposed.dispose();
const op = native.lookupOp('add', 'Tensor');
const trap = new Proxy({}, { get() { throw new Error('trap'); } });
const garbage = [undefined, null, 0, -1, 1.5, NaN, Infinity, -1e12, -1099511627776, -1099511627777.5, 2 ** 60, 'x', '',
  true, {}, [], [1, 'a'], [[1]], new Float32Array(3), new Float64Array(0), 5n, () => 1, Symbol('s'), t, t._h,
  disposed, disposed._h, op, [t._h, 5], { _h: 5 }, { _h: t._h }, trap, [trap], { _h: trap }];
let calls = 0;
for (const name of Object.keys(native)) {
  if (name === 'setNumThreads' || name === 'manualSeed' || name === 'setGradEnabled' || name === 'setAutocast') continue;
  for (const a of garbage) for (const b of garbage.slice(0, 14)) {
    for (const args of [[a], [a, b], [a, b, a], [op, a, b], [op, t, a, b]]) {
      calls++;
      try {
        const r = native[name](...args);
        if (r && typeof r.then === 'function') r.catch(() => undefined);
      } catch (e) {
        if (!(e instanceof Error)) throw new Error(name + ' threw a non-Error: ' + String(e));
      }
    }
  }
}
torch.setGradEnabled(true);
if (JSON.stringify(torch.ones([2, 2]).add(1).toArray()) !== '[[2,2],[2,2]]') throw new Error('state damaged');
console.log('survived ' + calls + ' calls');
`;

describe('native entry points under garbage input', function () {
  this.timeout(120000);

  it('throw JS Errors and never crash the process', () => {
    // A time limit below mocha's: a native entry point that starts waiting on garbage (a rendezvous, a
    // collective) keeps the child alive, and mocha cannot interrupt a spawnSync.
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(result.signal, null, `the process died with ${result.signal} (SIGTERM: still running after 100 s, ` +
      `waiting on something a garbage call started): ${result.stdout.slice(-500)} ${result.stderr}`);
    assert.equal(result.status, 0, result.stderr);
    const calls = Number(/survived (\d+) calls/.exec(result.stdout)?.[1]);
    assert.ok(calls > 50000, result.stdout);
  });
});
