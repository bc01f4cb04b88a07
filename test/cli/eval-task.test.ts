// `selfsup eval <run>` of a pretext run recomputes the task metric that
// `selfsup train` wrote into eval.json ("task"), from the run's checkpoint,
// and gets the same value on the same run; other targets say why it is left out.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { resolveRunConfig, runTrain, TrainRun } from '../../lib/cli/train';
import { runEval } from '../../lib/cli/eval';
import { evaluateRunTask, isTaskRun, taskCheckpoint } from '../../lib/cli/eval-task';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { repoRoot } from '../install/package-fixture';

const quiet = { progress: 'none' as const, stream: { write: () => true }, print: () => undefined };

/** A short pretext run with its evaluation (and so its task metric) into `out`. */
async function trainRun(method: string, out: string, extra: Record<string, unknown> = {}): Promise<TrainRun> {
  const c = resolveRunConfig(method, { eval: true, data: 'synthetic', steps: 3, batchSize: 32, knnEvery: 0,
    evalTrainSubset: 256, encoderOptions: { width: 4 }, methodOptions: { hiddenDim: 8 }, out, ...extra });
  return runTrain(c, quiet);
}

describe('cli: selfsup eval recomputes a pretext run\'s task metric', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-eval-task-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rotation and the context encoder: the same task record as train wrote, by value, into eval.json too', async () => {
    for (const method of ['rotation', 'context_encoder']) {
      const out = path.join(dir, method);
      const run = await trainRun(method, out, method === 'context_encoder' ? { methodOptions: {} } : {});
      assert.ok(run.task !== undefined, `${method}: train computed the task`);
      fs.rmSync(path.join(out, 'eval.json'));
      const logged: string[] = [];
      const report = await runEval(out, { trainSubset: 256, log: (l) => logged.push(l) });
      assert.ok(report.task !== undefined, `${method}: eval recomputed the task`);
      const { seconds: _a, ...fromTrain } = run.task;
      const { seconds: _b, ...fromEval } = report.task;
      assert.deepEqual(fromEval, fromTrain, `${method}: the task metric of selfsup eval equals train's`);
      const saved = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
      assert.deepEqual(saved.task.metrics, fromTrain.metrics, `${method}: eval.json "task"`);
      assert.equal(saved.rows.length, 3, 'the frozen-encoder rows are still there');
      assert.ok(logged.some((l) => l.includes(`heads from ${path.join(out, 'checkpoints')}`)), logged.join('\n'));
    }
  });

  it('colorization on the photo crops: the Lab encoder\'s statistics and the prior come from the checkpoint', async () => {
    const out = path.join(dir, 'colorization');
    const run = await trainRun('colorization', out, { data: 'photos', imageSize: 32, steps: 2, evalTrainSubset: 256 });
    const report = await runEval(out, { knn: true, floors: false, trainSubset: 256, log: () => undefined });
    assert.ok(run.task !== undefined && report.task !== undefined);
    assert.equal(report.task.metrics[0].name, 'colorizationError');
    assert.equal(report.task.metrics[0].value, run.task.metrics[0].value);
    assert.equal(report.task.metrics[0].floor, run.task.metrics[0].floor);
  });

  it('a checkpoint file gives its own step\'s heads; the encoder file, another architecture or other data give no task', async () => {
    const out = path.join(dir, 'rotation');
    const ckDir = path.join(out, 'checkpoints');
    const last = fs.readdirSync(ckDir).filter((f) => f.endsWith('.json')).sort().pop()!;
    assert.equal(taskCheckpoint(path.join(ckDir, last), out), path.join(ckDir, last.replace(/\.json$/, '.safetensors')));
    assert.equal(taskCheckpoint(out, out), path.join(ckDir, last.replace(/\.json$/, '.safetensors')));
    assert.equal(taskCheckpoint(path.join(out, 'encoder.safetensors'), out), undefined);
    const fromCk = await runEval(path.join(ckDir, last), { knn: true, floors: false, trainSubset: 256, log: () => undefined });
    const fromRun = await runEval(out, { knn: true, floors: false, trainSubset: 256, log: () => undefined });
    assert.deepEqual(fromCk.task?.metrics, fromRun.task?.metrics);
    const logged: string[] = [];
    const fromEncoder = await runEval(path.join(out, 'encoder.safetensors'), { knn: true, floors: false, trainSubset: 256,
      log: (l) => logged.push(l) });
    assert.equal(fromEncoder.task, undefined);
    assert.ok(logged.some((l) => /task metric needs the heads: evaluate the run folder or a checkpoint/.test(l)), logged.join('\n'));
    const other = await runEval(out, { knn: true, floors: false, trainSubset: 256, encoder: 'small_cnn',
      encoderOptions: { width: 4 }, log: () => undefined });
    assert.equal(other.task, undefined, '--encoder: not the run\'s method, no task');
    fs.rmSync(ckDir, { recursive: true });
    const noCk: string[] = [];
    const withoutCk = await runEval(out, { knn: true, floors: false, trainSubset: 256, log: (l) => noCk.push(l) });
    assert.equal(withoutCk.task, undefined);
    assert.ok(noCk.some((l) => /rotation task metric needs a checkpoint \(its heads\), and '.*' has none/.test(l)), noCk.join('\n'));
  });

  it('evaluateRunTask refuses a run of a method without a task, naming it', async () => {
    assert.equal(isTaskRun({ method: 'jigsaw' }), true);
    assert.equal(isTaskRun({ method: 'simclr' }), false);
    const spec = parseDataSpec('synthetic');
    const splits: ImageDataset[] = [];
    try {
      splits.push(await loadDataSplit(spec, 'train') as ImageDataset, await loadDataSplit(spec, 'test') as ImageDataset);
      const c = resolveRunConfig('simclr', { eval: true, data: 'synthetic', out: path.join(dir, 'x') });
      assert.throws(() => evaluateRunTask(c, { checkpoint: 'none', train: splits[0], test: splits[1], device: 'cpu' }),
        /Expected a pretext run \(rotation, .*\) for its task metric but the run's method is 'simclr'/);
    } finally {
      splits.forEach(disposeDataset);
    }
  });

  it('the command prints the task line after the table', () => {
    const out = path.join(dir, 'context_encoder');
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'selfsup.js'), 'eval', out, '--knn', '--no-floors',
      '--train-subset', '256'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\nPretext task: inpaintingError \d\.\d{4} \(floor \d\.\d{4}: the mean colour\) on 256 held-out synthetic/);
  });
});
