// The host and CPU time columns of the per-step comparison (issue 19): each
// side's medians, each round's Node / PyTorch ratio, and the rows that print
// them. Built from hand-made profiles, so every number is known.
import * as assert from 'node:assert/strict';
import { StepProfile } from '../../lib/bench/profile-step';
import { compareSteps, formatStepComparison, medianOf, roundRatios, withStepTimes } from '../../lib/bench/profile-compare';
import { ProfilerEvent } from '../../lib/torch/profiler';

function profile(side: 'node' | 'pytorch', hostUs: number[], cpuUs: number[], mainCpuUs: number[] = [], pageFaults: number[] = []): StepProfile {
  return { side, workload: 'mae', device: 'cpu', status: 'ok', events: [], memory: { allocs: 0, allocBytes: 0, frees: 0, freeBytes: 0 },
    hostUs, wallUs: hostUs, cpuUs, mainCpuUs, pageFaults };
}

describe('bench: host and CPU time of the per-step comparison', () => {
  it('medianOf takes the middle value, the mean of the middle two, NaN for none', () => {
    assert.equal(medianOf([5, 1, 3]), 3);
    assert.equal(medianOf([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(medianOf([])));
  });

  it('summarizes each side\'s median CPU time apart from its host time', () => {
    const c = compareSteps(profile('node', [100, 300, 200], [50, 70, 60]), profile('pytorch', [400, 500, 600], [80, 90, 100]));
    assert.equal(c.node.hostUs, 200);
    assert.equal(c.node.cpuUs, 60);
    assert.equal(c.pytorch.cpuUs, 90);
    const text = formatStepComparison(c);
    assert.match(text, /\| CPU time of the process \(median, unprofiled\) \| 90 us \| 60 us \| \(0\.67\) \|/);
    assert.doesNotMatch(text, /per round/, 'one round: no per-round rows');
    assert.ok(Number.isNaN(c.node.otherCpuUs));
    assert.doesNotMatch(text, /outside the main thread/, 'no thread split measured: no row');
    assert.doesNotMatch(text, /page faults/, 'no page faults measured: no row');
  });

  it('gives the CPU time of the threads other than the main one, step by step, and prints it', () => {
    // PyTorch: a BLAS worker spins beside the main thread (40, 35, 50 us); Node: 2 us of a GC thread, once.
    const c = compareSteps(profile('node', [100, 100, 100], [60, 62, 61], [60, 60, 61]),
      profile('pytorch', [100, 100, 100], [100, 95, 120], [60, 60, 70]));
    assert.equal(c.pytorch.otherCpuUs, 40);
    assert.equal(c.node.otherCpuUs, 0);
    assert.match(formatStepComparison(c), /\| CPU time outside the main thread \(median\) \| 40 us \| 0 us \| \|/);
    const partial = compareSteps(profile('node', [1, 1], [5, 5], [4]), profile('pytorch', [1, 1], [5, 5], [4, 4]));
    assert.ok(Number.isNaN(partial.node.otherCpuUs), 'a step without its thread time: no split');
    assert.equal(partial.pytorch.otherCpuUs, 1);
  });

  it('gives each side\'s median minor page faults per step', () => {
    const c = compareSteps(profile('node', [1, 1, 1], [1, 1, 1], [], [300, 10, 12]), profile('pytorch', [1, 1, 1], [1, 1, 1], [], [5, 4, 6]));
    assert.equal(c.node.pageFaults, 12);
    assert.equal(c.pytorch.pageFaults, 5);
    assert.match(formatStepComparison(c), /\| minor page faults \(median, unprofiled\) \| 5 \| 12 \| \(2\.40\) \|/);
  });

  it('gives each round\'s ratio of medians and prints them with their median', () => {
    const node = [profile('node', [10, 12, 11], [5, 6, 7]), profile('node', [30, 30, 30], [6, 6, 6]), profile('node', [8, 9, 10], [4, 4, 4])];
    const py = [profile('pytorch', [22, 22, 22], [6, 6, 6]), profile('pytorch', [20, 20, 20], [4, 4, 4]), profile('pytorch', [9, 9, 9], [8, 8, 8])];
    const r = roundRatios(node, py);
    assert.deepEqual(r.host, [0.5, 1.5, 1]);
    assert.deepEqual(r.cpu, [1, 1.5, 0.5]);
    const c = compareSteps(node[0], py[0], r);
    assert.deepEqual(c.rounds, r);
    const text = formatStepComparison(c);
    assert.match(text, /\| Node \/ PyTorch per round, host time \| \| \| 0\.50, 1\.50, 1\.00; median 1\.00 \|/);
    assert.match(text, /\| Node \/ PyTorch per round, CPU time \| \| \| 1\.00, 1\.50, 0\.50; median 1\.00 \|/);
  });

  it('keeps the first round\'s counts and takes the times of every round (withStepTimes)', () => {
    const op = { name: 'aten::add', scope: 'function', parent: -1 } as unknown as ProfilerEvent;
    const n0 = { ...profile('node', [10], [10], [10], [1]), events: [op, op] };
    const counted = compareSteps(n0, profile('pytorch', [20], [20]));
    const later = withStepTimes(counted, profile('node', [10, 30, 40], [10, 20, 30], [10, 20, 25], [1, 2, 3]), profile('pytorch', [20, 20, 20], [20, 20, 20]),
      { host: [0.5, 1.5], cpu: [0.5, 1] });
    assert.equal(later.node.operators, counted.node.operators, 'counts from the counted round');
    assert.deepEqual(later.ops, counted.ops);
    assert.equal(later.node.hostUs, 30);
    assert.equal(later.node.cpuUs, 20);
    assert.equal(later.node.otherCpuUs, 0);
    assert.equal(later.node.pageFaults, 2);
    assert.deepEqual(later.rounds, { host: [0.5, 1.5], cpu: [0.5, 1] });
    assert.equal(counted.node.hostUs, 10, 'the counted comparison is left alone');
  });

  it('refuses rounds that do not pair up', () => {
    const n = profile('node', [1], [1]);
    assert.throws(() => roundRatios([n, n], [profile('pytorch', [1], [1])]), /as many Node rounds as PyTorch rounds but received 2 and 1/);
  });
});
