// The launcher by value, without a process group: each rank's torchrun
// environment, the option refusals by message, LaunchError's text, and
// launch() itself on tiny rank scripts (what each rank was given, the failed
// rank named with its exit code or signal and its last lines, the other ranks
// stopped, the signal handlers removed).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launch, LaunchError, rankEnv } from '../../lib/train/launch';

describe('train/launch by value', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-launch-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rankEnv: the torchrun variables of each rank, OMP_NUM_THREADS=1 only for several ranks and when nobody set it', () => {
    const o = { nprocPerNode: 2, nnodes: 3, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 1234, script: 'x.js', env: { A: 'a' } };
    assert.deepEqual(rankEnv(o, 1, { B: 'b', A: 'base' }), {
      B: 'b', A: 'a', RANK: '3', LOCAL_RANK: '1', WORLD_SIZE: '6', LOCAL_WORLD_SIZE: '2', GROUP_RANK: '1',
      MASTER_ADDR: '10.0.0.1', MASTER_PORT: '1234', OMP_NUM_THREADS: '1' });
    assert.deepEqual(rankEnv({ nprocPerNode: 1, script: 'x.js' }, 0, {}), {
      RANK: '0', LOCAL_RANK: '0', WORLD_SIZE: '1', LOCAL_WORLD_SIZE: '1', GROUP_RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' });
    assert.equal(rankEnv({ nprocPerNode: 2, script: 'x.js' }, 0, { OMP_NUM_THREADS: '4' }).OMP_NUM_THREADS, '4');
    assert.equal(rankEnv({ nprocPerNode: 2, script: 'x.js', env: { OMP_NUM_THREADS: '2' } }, 0, {}).OMP_NUM_THREADS, '2');
    assert.equal(rankEnv({ nprocPerNode: 2, script: 'x.js' }, 0, {}).OMP_NUM_THREADS, '1');
  });

  it('refuses bad options by name and value', () => {
    const bad = (extra: Record<string, unknown>) => () => rankEnv({ nprocPerNode: 1, script: 'x.js', ...extra } as never, 0, {});
    assert.throws(bad({ nprocPerNode: 0 }), { name: 'RangeError', message: 'Expected an integer >= 1 for nprocPerNode but received 0' });
    assert.throws(bad({ nprocPerNode: 1.5 }), { name: 'TypeError', message: 'Expected an integer >= 1 for nprocPerNode but received 1.5' });
    assert.throws(bad({ nnodes: 0 }), { name: 'RangeError', message: 'Expected an integer >= 1 for nnodes but received 0' });
    assert.throws(bad({ nodeRank: -1 }), { name: 'RangeError', message: 'Expected an integer >= 0 for nodeRank but received -1' });
    assert.throws(bad({ nodeRank: 1 }), { name: 'RangeError', message: 'Expected nodeRank < nnodes but received 1 and 1' });
    assert.throws(bad({ masterAddr: '' }), { name: 'TypeError', message: 'Expected a host name or address for masterAddr but received ' });
    assert.throws(bad({ masterAddr: 5 }), { name: 'TypeError', message: 'Expected a host name or address for masterAddr but received 5' });
    assert.throws(bad({ masterPort: 65536 }), { name: 'RangeError', message: 'Expected masterPort <= 65535 but received 65536' });
    assert.equal(rankEnv({ nprocPerNode: 1, script: 'x.js', masterPort: 65535 }, 0, {}).MASTER_PORT, '65535');
    assert.throws(bad({ masterPort: 0 }), { name: 'RangeError', message: 'Expected an integer >= 1 for masterPort but received 0' });
    assert.throws(bad({ args: ['a', 1] }), { name: 'TypeError', message: 'Expected a list of strings for args but received ["a",1]' });
    assert.throws(bad({ args: 'a' }), { name: 'TypeError', message: 'Expected a list of strings for args but received "a"' });
    assert.throws(bad({ killGraceMs: -1 }), { name: 'RangeError', message: 'Expected an integer >= 0 for killGraceMs but received -1' });
  });

  it('LaunchError: the rank, its exit code or signal, and its last output', () => {
    const e = new LaunchError(2, 3, null, 'boom\nbang');
    assert.equal(e.message, "rank 2 failed (exit code 3); the other ranks were stopped\nrank 2's last output:\nboom\nbang");
    assert.deepEqual([e.rank, e.exitCode, e.signal, e.stderrTail], [2, 3, null, 'boom\nbang']);
    assert.equal(new LaunchError(0, null, 'SIGKILL', '').message, 'rank 0 failed (signal SIGKILL); the other ranks were stopped');
  });

  /** A rank script: writes what it was given to <dir>/rank-<RANK>.json, then runs `then` (JS source). */
  function script(then: string): string {
    const file = path.join(dir, `rank-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, `const fs = require('fs'); const rank = Number(process.env.RANK);
fs.writeFileSync(${JSON.stringify(dir)} + '/rank-' + rank + '.json', JSON.stringify({ args: process.argv.slice(2),
  env: { RANK: process.env.RANK, LOCAL_RANK: process.env.LOCAL_RANK, WORLD_SIZE: process.env.WORLD_SIZE, X: process.env.X } }));
${then}\n`);
    return file;
  }
  const given = (rank: number): unknown => JSON.parse(fs.readFileSync(path.join(dir, `rank-${rank}.json`), 'utf8'));

  it('launch: every rank runs the script with its args and environment; the signal handlers are removed after', async () => {
    const before = [process.listeners('SIGINT').length, process.listeners('SIGTERM').length];
    await launch({ nprocPerNode: 2, script: script(''), args: ['--a', 'b'], env: { X: 'x' } });
    assert.deepEqual(given(0), { args: ['--a', 'b'], env: { RANK: '0', LOCAL_RANK: '0', WORLD_SIZE: '2', X: 'x' } });
    assert.deepEqual(given(1), { args: ['--a', 'b'], env: { RANK: '1', LOCAL_RANK: '1', WORLD_SIZE: '2', X: 'x' } });
    assert.deepEqual([process.listeners('SIGINT').length, process.listeners('SIGTERM').length], before);
  });

  it('launch: a failed rank is named with its exit code and last 10 lines; the others are stopped', async () => {
    const before = [process.listeners('SIGINT').length, process.listeners('SIGTERM').length];
    const started = Date.now();
    const s = script(`if (rank === 1) { for (let i = 1; i <= 12; i++) process.stderr.write('line ' + i + '\\n'); process.exitCode = 3; }
else setTimeout(() => {}, 25000);`);
    await assert.rejects(launch({ nprocPerNode: 2, script: s, killGraceMs: 60_000 }), (e: unknown) => {
      assert.ok(e instanceof LaunchError);
      assert.deepEqual([e.rank, e.exitCode, e.signal], [1, 3, null]);
      assert.equal(e.stderrTail, Array.from({ length: 10 }, (_, i) => `line ${i + 3}`).join('\n'));
      return true;
    });
    assert.ok(Date.now() - started < 20_000, 'rank 0 was stopped, not waited for');
    assert.deepEqual([process.listeners('SIGINT').length, process.listeners('SIGTERM').length], before);
  });

  it('launch: a rank that ignores SIGTERM gets SIGKILL after killGraceMs; a long line keeps its last 2000 characters', async () => {
    // Rank 1 fails only once rank 0 ignores SIGTERM (on a loaded machine a SIGTERM sent before rank 0's handler exists
    // ends it at once, and a launcher that never sends SIGKILL would pass).
    const ready = JSON.stringify(path.join(dir, `ignoring-${Math.random().toString(36).slice(2)}`));
    const s = script(`if (rank === 1) { const t = setInterval(() => { if (!fs.existsSync(${ready})) return; clearInterval(t);
  process.stderr.write('x'.repeat(1000) + 'y'.repeat(2000)); process.exitCode = 2; }, 10); }
else { process.on('SIGTERM', () => {}); fs.writeFileSync(${ready}, ''); setTimeout(() => {}, 25000); }`);
    const started = Date.now();
    await assert.rejects(launch({ nprocPerNode: 2, script: s, killGraceMs: 200 }), (e: unknown) => {
      assert.ok(e instanceof LaunchError);
      assert.deepEqual([e.rank, e.exitCode, e.stderrTail], [1, 2, 'y'.repeat(2000)]);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'rank 0 was killed after the grace, not waited for (it sleeps 25 s)');
  });

  it('launch: a rank killed by a signal is named with it; SIGINT and SIGTERM to the launcher reach every rank', async () => {
    const killed = script("if (rank === 0) process.kill(process.pid, 'SIGKILL'); else setTimeout(() => {}, 25000);");
    await assert.rejects(launch({ nprocPerNode: 2, script: killed, killGraceMs: 0 }),
      (e: unknown) => e instanceof LaunchError && e.rank === 0 && e.signal === 'SIGKILL' && e.exitCode === null && e.stderrTail === '');
    // Ranks that wait for SIGTERM and exit 0 on it.
    const terms = script(`process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(dir)} + '/term-' + rank, ''); process.exit(0); });
fs.writeFileSync(${JSON.stringify(dir)} + '/tready-' + rank, ''); setTimeout(() => {}, 25000);`);
    const beforeTerm = process.listeners('SIGTERM');
    const termRun = launch({ nprocPerNode: 2, script: terms });
    const addedTerm = process.listeners('SIGTERM').filter((l) => !beforeTerm.includes(l));
    assert.equal(addedTerm.length, 1);
    while (!fs.existsSync(path.join(dir, 'tready-0')) || !fs.existsSync(path.join(dir, 'tready-1'))) await new Promise((r) => setTimeout(r, 20));
    (addedTerm[0] as () => void)();
    await termRun;
    assert.deepEqual([fs.existsSync(path.join(dir, 'term-0')), fs.existsSync(path.join(dir, 'term-1'))], [true, true]);
    // Ranks that wait for SIGINT and exit 0 on it: the launcher's handler forwards it.
    const waiting = script(`process.on('SIGINT', () => { fs.writeFileSync(${JSON.stringify(dir)} + '/int-' + rank, ''); process.exit(0); });
fs.writeFileSync(${JSON.stringify(dir)} + '/ready-' + rank, ''); setTimeout(() => {}, 25000);`);
    const before = process.listeners('SIGINT');
    const run = launch({ nprocPerNode: 2, script: waiting });
    const added = process.listeners('SIGINT').filter((l) => !before.includes(l));
    assert.equal(added.length, 1);
    while (!fs.existsSync(path.join(dir, 'ready-0')) || !fs.existsSync(path.join(dir, 'ready-1'))) await new Promise((r) => setTimeout(r, 20));
    (added[0] as () => void)();
    await run;
    assert.deepEqual([fs.existsSync(path.join(dir, 'int-0')), fs.existsSync(path.join(dir, 'int-1'))], [true, true]);
  });
});
