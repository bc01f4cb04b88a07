// bench:ddp's --model flag reaches the model both sides build (issue 17): one
// process, one step, on each side, reports the parameter count of the MLP or
// the CNN; the DDP and noSync rows' ranks run and report it too; a bad value is
// refused by name.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PYTHON, pythonScript, referenceProcessEnv } from '../../scripts/bench-python';
import { describeRuns, freePort, runRanks } from '../torch/distributed/ranks';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'bench-ddp.js');
const PARAMETERS = { mlp: 5_824_522, cnn: 87_114 };

describe('scripts: bench-ddp --model', function () {
  this.timeout(120_000);

  for (const kind of ['mlp', 'cnn'] as const) {
    it(`${kind}: both sides build the same model (${PARAMETERS[kind]} parameters)`, () => {
      const env = { ...process.env, BENCH_DDP_MODE: 'single', OMP_NUM_THREADS: '1' };
      const node = JSON.parse(execFileSync(process.execPath, [SCRIPT, '--iters', '1', '--batch', '4', '--model', kind],
        { encoding: 'utf8', env }).trim()) as { ms: number; parameters: number };
      const python = JSON.parse(execFileSync(PYTHON, [pythonScript('bench_ddp.py'), 'single', '1', '4', kind],
        { encoding: 'utf8', env: referenceProcessEnv({ ...process.env, OMP_NUM_THREADS: '1' }) }).trim()) as { parameters: number };
      assert.equal(node.parameters, PARAMETERS[kind]);
      assert.equal(python.parameters, PARAMETERS[kind]);
      assert.ok(node.ms > 0);
    });
  }

  for (const mode of ['ddp', 'nosync'] as const) {
    it(`the ${mode} row's 2 Node ranks run a step of the CNN and report it`, async () => {
      const spec = { command: process.execPath, args: [SCRIPT, '--iters', '1', '--batch', '8', '--model', 'cnn'] };
      const runs = await runRanks([spec, spec], { BENCH_DDP_MODE: mode, MASTER_PORT: String(await freePort()), OMP_NUM_THREADS: '1' });
      assert.ok(runs.every((r) => r.code === 0), describeRuns(runs));
      const report = runs[0].report as { ms: number; parameters: number };
      assert.equal(report.parameters, PARAMETERS.cnn);
      assert.ok(report.ms > 0);
    });
  }

  it('refuses another model by name', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--model', 'resnet'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Expected --model mlp or cnn but received resnet/);
  });
});
