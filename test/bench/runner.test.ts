import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { benchConfigs, runBench, skipReason } from '../../lib/bench/runner';
import { parseWorkloads, workload, WORKLOAD_NAMES } from '../../lib/bench/workloads';

describe('bench/runner', () => {
  it('lists eager, channels-last and graph configurations for CNNs, eager and graph for ViTs', () => {
    assert.deepEqual(benchConfigs(workload('simclr', 'small')), ['eager', 'eager+channels-last', 'graph+channels-last']);
    assert.deepEqual(benchConfigs(workload('byol', 'full'), { channelsLast: false }), ['eager', 'graph']);
    assert.deepEqual(benchConfigs(workload('simclr', 'full'), { graph: false }), ['eager', 'eager+channels-last']);
    assert.deepEqual(benchConfigs(workload('mae', 'small')), ['eager', 'graph']);
    assert.deepEqual(benchConfigs(workload('dino', 'full')), ['eager', 'graph']);
  });

  it('describes the issue\'s full-scale workloads and parses workload lists', () => {
    const dino = workload('dino', 'full');
    assert.deepEqual(dino.viewSizes, [224, 224, 96, 96, 96, 96, 96, 96]);
    assert.equal(dino.batch, 64);
    assert.equal(dino.optimizer.clipGrad, 3);
    const mae = workload('mae', 'full');
    assert.deepEqual(mae.optimizer.betas, [0.9, 0.95]);
    assert.equal(workload('simclr', 'full').batch, 512);
    assert.deepEqual(parseWorkloads('mae,simclr'), ['simclr', 'mae']);
    assert.deepEqual(parseWorkloads('all'), WORKLOAD_NAMES);
    assert.throws(() => parseWorkloads('simclr,moco'), /Expected workloads among simclr, byol, dino, mae .* but received 'simclr,moco'/);
    assert.throws(() => workload('simclr', 'huge' as 'full'), /Expected one of 'small', 'full' for scale but received/);
  });

  it('times 2 small MAE steps on the CPU: positive img/s and TFLOP/s, a finite loss', function () {
    this.timeout(60_000);
    const w = workload('mae', 'small');
    const r = runBench(w, 'eager', { device: 'cpu', steps: 2, warmup: 1, flopsPerStep: 2e8 });
    assert.equal(r.status, 'ok');
    assert.ok(r.imagesPerSecond! > 0 && r.secondsPerStep! > 0);
    assert.ok(Math.abs(r.imagesPerSecond! * r.secondsPerStep! - w.batch) < 1e-6);
    assert.ok(Math.abs(r.tflops! - 2e8 / r.secondsPerStep! / 1e12) < 1e-12);
    assert.ok(Number.isFinite(r.loss!) && r.loss! > 0, `loss ${r.loss}`);
  });

  it('runs a CNN workload in channels-last layout on the CPU', function () {
    this.timeout(60_000);
    const r = runBench(workload('byol', 'small'), 'eager+channels-last', { device: 'cpu', steps: 1, warmup: 0 });
    assert.equal(r.status, 'ok');
    assert.ok(Number.isFinite(r.loss!) && r.imagesPerSecond! > 0);
  });

  it('skips the graph configurations on the CPU with the reason, without building anything', () => {
    const r = runBench(workload('dino', 'full'), 'graph', { device: 'cpu', steps: 2, warmup: 1 });
    assert.equal(r.status, 'skipped');
    assert.equal(r.reason, 'CUDA graphs need a CUDA device (running on cpu)');
    assert.equal(r.imagesPerSecond, undefined);
    assert.equal(skipReason('graph+channels-last', 'cuda'), undefined);
  });

  it('runs the graph configuration of every workload as GraphedStep\'s rehearsal on the CPU (capture rules hold)', function () {
    this.timeout(60_000);
    for (const name of WORKLOAD_NAMES) {
      const w = workload(name, 'small');
      const config = benchConfigs(w).find((c) => c.startsWith('graph'))!;
      const r = runBench(w, config, { device: 'cpu', steps: 1, warmup: 1, rehearse: true });
      assert.equal(r.status, 'ok', `${name} ${config}`);
      assert.ok(Number.isFinite(r.loss!), `${name}: loss ${r.loss}`);
    }
  });

  it('frees everything it built: no tensor outlives a run', function () {
    this.timeout(60_000);
    const mae = workload('mae', 'small');
    const simclr = workload('simclr', 'small');
    runBench(mae, 'eager', { device: 'cpu', steps: 1, warmup: 1 }); // first-use caches (generators, op tables)
    const before = torch.memory().tensors;
    runBench(mae, 'eager', { device: 'cpu', steps: 2, warmup: 1 });
    runBench(simclr, 'eager+channels-last', { device: 'cpu', steps: 1, warmup: 1 });
    // The graphed path too (static buffers, device scalars of the optimizer and of BYOL/DINO, weight-normed heads).
    for (const name of ['byol', 'dino'] as const) {
      const w = workload(name, 'small');
      runBench(w, benchConfigs(w).find((c) => c.startsWith('graph'))!, { device: 'cpu', steps: 2, warmup: 1, rehearse: true });
    }
    assert.equal(torch.memory().tensors, before);
  });

  it('rejects bad step counts and a missing GPU with actionable messages', () => {
    const w = workload('mae', 'small');
    assert.throws(() => runBench(w, 'eager', { device: 'cpu', steps: 0, warmup: 1 }), /Expected an integer >= 1 for steps but received 0/);
    if (!torch.cuda.isAvailable()) {
      assert.throws(() => runBench(w, 'eager', { device: 'cuda', steps: 1, warmup: 0 }), /Expected a CUDA device for --device cuda/);
    }
  });
});
