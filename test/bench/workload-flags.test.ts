// The flags of the workload scripts (bench-gpu, profile-step): each valued
// flag and switch lands by value, and bad input is refused by name.
import * as assert from 'node:assert/strict';
import { readWorkloadFlags } from '../../scripts/workload-flags';

describe('scripts: the workload flags (bench-gpu, profile-step)', () => {
  it('reads every valued flag, the allowed switches, device, scale and integers', () => {
    const f = readWorkloadFlags(['--device', 'cpu', '--scale', 'small', '--workloads', 'dino,mae', '--steps', '7', '--warmup', '0',
      '--rounds', '3', '--threads', '2', '--python', '/usr/bin/python3', '--json', 'out.json', '--all'], ['--all']);
    assert.equal(f.device, 'cpu');
    assert.equal(f.scale, 'small');
    assert.equal(f.raw.get('--workloads'), 'dino,mae');
    assert.equal(f.raw.get('--python'), '/usr/bin/python3');
    assert.equal(f.raw.get('--json'), 'out.json');
    assert.equal(f.count('--steps', 1), 7);
    assert.equal(f.count('--warmup', 0), 0);
    assert.equal(f.count('--rounds', 1), 3);
    assert.equal(f.count('--threads', 1), 2);
    assert.deepEqual([...f.switches], ['--all']);
    const none = readWorkloadFlags([]);
    assert.equal(none.device, undefined);
    assert.equal(none.count('--steps', 1), undefined);
  });

  it('refuses unknown flags, switches a script does not take, missing values, bad devices, scales and counts', () => {
    assert.throws(() => readWorkloadFlags(['--bogus', '1']), /Unknown option '--bogus'/);
    assert.throws(() => readWorkloadFlags(['--all']), /Unknown option '--all'/);
    assert.throws(() => readWorkloadFlags(['--steps']), /Expected a value after --steps/);
    assert.throws(() => readWorkloadFlags(['--device', 'tpu']), /Expected cpu or cuda for --device but received tpu/);
    assert.throws(() => readWorkloadFlags(['--scale', 'huge']), /Expected small or full for --scale but received huge/);
    assert.throws(() => readWorkloadFlags(['--steps', '1.5']).count('--steps', 1), /integer >= 1 for --steps but received 1.5/);
    assert.throws(() => readWorkloadFlags(['--steps', '0']).count('--steps', 1), /integer >= 1 for --steps but received 0/);
  });
});
