// The per-step operator comparison (issue 19): each workload's eager step
// issues no host sync, and the comparison with the PyTorch reference
// (scripts/profile_step.py) adds up and names the differences.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { workload, WORKLOAD_NAMES } from '../../lib/bench/workloads';
import { profileNodeStep, fromPython, PythonStepProfile } from '../../lib/bench/profile-step';
import { compareSteps, formatStepComparison } from '../../lib/bench/profile-compare';
import { PYTHON, repoRoot } from '../helpers/python-reference';

describe('bench: one training step under the profiler', function () {
  this.timeout(300_000);

  for (const name of WORKLOAD_NAMES) {
    it(`${name}: the eager step issues no host sync and frees what it built`, () => {
      const before = torch.memory().tensors;
      const p = profileNodeStep(workload(name, 'small'), { device: 'cpu', warmup: 1, steps: 1 });
      assert.equal(p.status, 'ok');
      assert.ok(p.events.filter((e) => e.name.startsWith('aten::')).length > 100);
      assert.ok(p.events.some((e) => e.scope === 'backward_function'), 'backward ran inside the profiled step');
      assert.deepEqual(torch.profiler.findHostSyncs(p.events), []);
      assert.equal(p.hostUs.length, 1);
      assert.equal(p.cpuUs.length, 1);
      assert.ok(p.cpuUs[0] > 0, 'the step used CPU time');
      assert.equal(p.mainCpuUs.length, 1, 'the main thread\'s CPU time is read around the step');
      assert.ok(p.pageFaults.length === 1 && p.pageFaults[0] >= 0, 'minor page faults are counted around the step');
      assert.ok(p.mainCpuUs[0] > 0 && p.mainCpuUs[0] <= p.cpuUs[0] * 1.05 + 100, `main ${p.mainCpuUs[0]} us of ${p.cpuUs[0]} us`);
      assert.equal(torch.memory().tensors, before);
    });
  }

  it('compares with the PyTorch reference: counts add up, differences are named', () => {
    const w = workload('mae', 'small');
    const job = { device: 'cpu', warmup: 1, steps: 1, threads: 1, workloads: [w] };
    const stdout = execFileSync(PYTHON, [path.join(repoRoot(), 'scripts', 'profile_step.py'), JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const line = stdout.split('\n').find((l) => l.startsWith('{"kind": "profile"'))!;
    const py = fromPython(JSON.parse(line) as PythonStepProfile, 'cpu');
    assert.equal(py.status, 'ok', py.reason);
    const node = profileNodeStep(w, { device: 'cpu', warmup: 1, steps: 1 });
    const c = compareSteps(node, py);
    assert.equal(c.ops.reduce((s, o) => s + o.node, 0), c.node.operators);
    assert.equal(c.ops.reduce((s, o) => s + o.pytorch, 0), c.pytorch.operators);
    assert.ok(c.pytorch.operators > 100 && c.pytorch.allocs > 0 && c.pytorch.hostUs > 0 && c.pytorch.cpuUs > 0);
    assert.ok(py.mainCpuUs.length === 1 && py.mainCpuUs[0] > 0, 'the reference reads its main thread\'s CPU time too');
    assert.ok(py.pageFaults.length === 1 && py.pageFaults[0] >= 0, 'and its page faults');
    assert.deepEqual(c.node.syncs, []);
    // The detector on real PyTorch code: torch 1.13's multi-tensor AdamW reads each parameter's step count
    // back (`step.item()`) and `mask[:, :keep] = 0` fills from a 0-d tensor (an item() inside fill_).
    assert.ok(c.pytorch.syncs.length > 0);
    assert.deepEqual([...new Set(c.pytorch.syncs.map((s) => s.call))], ['aten::item']);
    assert.ok(c.pytorch.syncs.some((s) => s.path.includes('Optimizer.step#AdamW.step')));
    const text = formatStepComparison(c, { all: true });
    assert.match(text, /### mae \(cpu\): one eager training step/);
    assert.match(text, new RegExp(`\\| ATen operators \\(nested included\\) \\| ${c.pytorch.operators} \\| ${c.node.operators} \\|`));
    for (const o of c.ops.filter((x) => x.node !== x.pytorch)) {
      assert.match(text, new RegExp(`\\| ${o.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| ${o.pytorch} \\| ${o.node} \\|`));
    }
  });
});
