// eval-task.ts by value, fast (issue 21, lib/cli's mutation score, third pass): which runs have a task metric,
// which checkpoint judges it for each `selfsup eval` target, and evaluateRunTask on a relative-position run folder written
// without training (a seeded method's weights as a checkpoint): the task report of those weights, computed here
// with evaluateTask, for the run's seed; the refusals of a non-pretext run and of a checkpoint that does not fit,
// by message; nothing left allocated.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { evaluateRunTask, isTaskRun, taskCheckpoint } from '../../lib/cli/eval-task';
import { buildMethod, resolveRunConfig } from '../../lib/cli/train';
import { RunConfig } from '../../lib/cli/run-config';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { evaluateTask } from '../../lib/ssl/pretext/task-metrics';
import { TASK_METHODS } from '../../lib/train/pictures/task-columns';
import { list as listMethods } from '../../lib/ssl/registry';
import { messageOf } from '../helpers/refuses';

// Relative position draws each image's patch pair from the seed (rotation scores all four rotations: no draw).
const METHOD = 'relative_position';

/** Writes checkpoint `step` of a run folder: `tensors` as its .safetensors and a minimal .json. */
function writeCheckpoint(run: string, step: number, tensors: Map<string, Tensor>): string {
  const dir = path.join(run, 'checkpoints');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `step-${String(step).padStart(8, '0')}`);
  saveSafetensors(`${base}.safetensors`, tensors);
  fs.writeFileSync(`${base}.json`, JSON.stringify({ format: 'selfsup-checkpoint', version: 1, step }));
  return `${base}.safetensors`;
}

describe('cli: eval-task by value (isTaskRun, taskCheckpoint, evaluateRunTask)', function () {
  this.timeout(60000);
  let dir = '';
  let train: ImageDataset;
  let test: ImageDataset;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-eval-task-values-'));
    const spec = parseDataSpec('synthetic');
    train = (await loadDataSplit(spec, 'train'))!;
    test = (await loadDataSplit(spec, 'test'))!;
  });
  after(() => {
    disposeDataset(train);
    disposeDataset(test);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('isTaskRun: the eight pretext tasks and no other method', () => {
    assert.deepEqual(listMethods().filter((m) => isTaskRun({ method: m as RunConfig['method'] })).sort(), [...TASK_METHODS].sort());
    assert.equal(TASK_METHODS.length, 8);
    for (const m of TASK_METHODS) assert.equal(isTaskRun({ method: m }), true, m);
    for (const m of ['simclr', 'byol', 'mae', 'dino']) assert.equal(isTaskRun({ method: m as RunConfig['method'] }), false, m);
  });

  it('taskCheckpoint: a run folder\'s newest, a checkpoint\'s own (either file), none for another file', () => {
    const run = path.join(dir, 'targets');
    const t = torch.zeros([1]);
    const first = writeCheckpoint(run, 1, new Map([['model.x', t]]));
    const second = writeCheckpoint(run, 12, new Map([['model.x', t]]));
    t.dispose();
    assert.equal(taskCheckpoint(run, run), second);
    assert.equal(taskCheckpoint(first, run), first);
    assert.equal(taskCheckpoint(first.replace(/\.safetensors$/, '.json'), run), first);
    assert.equal(taskCheckpoint(second, run), second);
    // Other files: an encoder, a file whose name only ends like a checkpoint's, a checkpoint name with something after it.
    for (const name of ['encoder.safetensors', 'mystep-00000001.safetensors', 'step-00000001.safetensors.bak', 'step-.safetensors']) {
      fs.writeFileSync(path.join(run, name), 'x');
      assert.equal(taskCheckpoint(path.join(run, name), run), undefined, name);
    }
  });

  it('evaluateRunTask: the task of the checkpoint\'s weights on the held-out split, with the run\'s seed; refusals by message', async () => {
    const run: RunConfig = { ...resolveRunConfig(METHOD, { eval: true, data: 'synthetic', steps: 1, batchSize: 8,
      encoderOptions: { width: 4 } }), seed: 5, out: path.join(dir, METHOD) };
    torch.manualSeed(17);
    const { method: saved } = buildMethod(run, train.images.shape);
    const model = saved.stateDict();
    const ck = writeCheckpoint(run.out, 3, new Map([...[...model].map(([k, v]) => [`model.${k}`, v] as [string, Tensor]),
      ['optimizer.state.0.exp_avg', torch.ones([2])]]));
    const small = { ...test, images: test.images.narrow(0, 0, 64), labels: test.labels!.narrow(0, 0, 64), length: 64 };

    // The reference: the same weights, the training split's statistics, the run's seed.
    const { method: ref } = buildMethod(run, train.images.shape);
    ref.augmentation({ size: 16, channels: train.images.shape[1], mean: train.mean, std: train.std, dataset: train.name });
    ref.loadStateDict(model, { strict: true });
    const expected = evaluateTask(ref, small, { mean: train.mean, std: train.std, seed: 5, device: 'cpu' });
    const otherSeed = evaluateTask(ref, small, { mean: train.mean, std: train.std, seed: 6, device: 'cpu' });
    const fresh = buildMethod(run, train.images.shape).method;
    const unloaded = evaluateTask(fresh, small, { mean: train.mean, std: train.std, seed: 5, device: 'cpu' });
    assert.notDeepEqual(otherSeed.metrics, expected.metrics, 'the seed draws the tasks');
    assert.notDeepEqual(unloaded.metrics, expected.metrics, 'the weights decide');

    evaluateRunTask(run, { checkpoint: ck, train, test: small, device: 'cpu' });
    const live = torch.memory().tensors;
    const { seconds: _s, ...got } = evaluateRunTask(run, { checkpoint: ck, train, test: small, device: 'cpu' });
    const fromJson = evaluateRunTask(run, { checkpoint: ck.replace(/\.safetensors$/, '.json'), train, test: small, device: 'cpu' });
    const fromFolder = evaluateRunTask(run, { checkpoint: run.out, train, test: small, device: 'cpu' });
    assert.equal(torch.memory().tensors, live, 'the method and the checkpoint\'s tensors are freed');
    const { seconds: _e, ...want } = expected;
    assert.deepEqual(got, want);
    assert.deepEqual(fromJson.metrics, want.metrics);
    assert.deepEqual(fromFolder.metrics, want.metrics);

    assert.equal(await messageOf(() => evaluateRunTask({ ...run, method: 'simclr' }, { checkpoint: ck, train, test: small, device: 'cpu' })),
      'Expected a pretext run (rotation, jigsaw, relative_position, context_encoder, damaged_jigsaw, colorization, split_brain, deoldify) ' +
      'for its task metric but the run\'s method is \'simclr\'');
    // A checkpoint without one of the model's keys.
    const partial = new Map([...model].slice(1));
    const bad = writeCheckpoint(path.join(dir, 'misfit'), 1, new Map([...partial].map(([k, v]) => [`model.${k}`, v] as [string, Tensor])));
    const strict = await messageOf(() => fresh.loadStateDict(partial, { strict: true }));
    const before = torch.memory().tensors;
    assert.equal(await messageOf(() => evaluateRunTask(run, { checkpoint: bad, train, test: small, device: 'cpu' })),
      `The checkpoint '${bad}' does not fit the run's ${METHOD}: ${strict}`);
    assert.equal(torch.memory().tensors, before, 'freed after a refusal too');
    for (const m of [saved, ref, fresh]) m.dispose();
  });
});
