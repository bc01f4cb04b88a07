// scripts/bench_gpu.py, the PyTorch side of the comparison, on the CPU with
// Debian's torch 1.13: every small workload runs one step, and the
// configurations this torch cannot run come back skipped with a reason.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { torch } from '../../lib';
import { WORKLOAD_NAMES, workload } from '../../lib/bench/workloads';
import { benchConfigs } from '../../lib/bench/runner';

function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
  }
  throw new Error(`No selfsup package.json above ${__dirname}`);
}

interface Line { kind: string; workload?: string; config?: string; status?: string; reason?: string; imagesPerSecond?: number; loss?: number }

describe('scripts/bench_gpu.py (PyTorch reference)', () => {
  it('runs every small workload on the CPU and skips graph and compile with reasons', function () {
    this.timeout(120_000);
    const runs = WORKLOAD_NAMES.map((n) => {
      const w = workload(n, 'small');
      return { workload: w, configs: [...(n === 'mae' ? ['eager', 'graph', 'compile'] : benchConfigs(w).filter((c) => c !== 'eager+channels-last'))] };
    });
    const job = { device: 'cpu', steps: 1, warmup: 0, threads: 2, runs };
    const out = execFileSync('/usr/bin/python3', [path.join(repoRoot(), 'scripts', 'bench_gpu.py'), JSON.stringify(job)],
      { encoding: 'utf8' });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    assert.equal(lines[0].kind, 'env');
    const results = lines.slice(1);
    for (const n of WORKLOAD_NAMES) {
      const eager = results.find((r) => r.workload === n && r.config === 'eager');
      assert.equal(eager?.status, 'ok', `${n}: ${JSON.stringify(eager)}`);
      assert.ok(eager!.imagesPerSecond! > 0 && Number.isFinite(eager!.loss!));
      const graph = results.find((r) => r.workload === n && r.config?.startsWith('graph'));
      assert.equal(graph?.status, 'skipped');
      assert.match(graph!.reason!, /CUDA graphs need a CUDA device/);
    }
    const compile = results.find((r) => r.config === 'compile');
    assert.equal(compile?.status, 'skipped');
    // Debian's python3-torch is the addon's libtorch: 1.13 has no torch.compile; 2.x's is measured on CUDA only
    assert.match(compile!.reason!, torch.config().torchVersion.startsWith('1.')
      ? /torch\.compile is unavailable in torch 1\.13/ : /the torch\.compile columns are measured on CUDA only/);
  });
});
