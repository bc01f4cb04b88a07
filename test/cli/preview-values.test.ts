// `selfsup preview` by value (issue 21, lib/cli's mutation score, third pass): preview's and previewTask's
// refusals by message, the grid each writes (the same bytes for the same seed, the scale by size), the tensors
// they free (a given method stays usable), the fresh method of each task (its image size from the data), a run
// folder's method with its checkpoint's weights (methodFromRun: only the model's keys, strictly), and the command:
// the line it prints for a recipe and for a task (with and without --run), --run of another task, its integer
// flags, the synthetic data it draws and the CIFAR loader it picks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildMethod } from '../../lib/cli/train';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { RunConfig } from '../../lib/cli/run-config';
import { preview } from '../../lib/cli/preview';
import { methodFromRun, PREVIEW_TASKS, previewMethod, previewTask, PreviewTask, TaskColumns } from '../../lib/cli/task-preview';
import { gridScale } from '../../lib/cli/preview-options';
import { RECIPES, RecipeName } from '../../lib/data/transforms/recipes';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { synthetic } from '../../lib/data/synthetic';
import { writeImageGrid } from '../../lib/data/image-grid';
import * as torch from '../../lib/torch';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { quietProgram } from '../helpers/quiet-program';
import { messageOf } from '../helpers/refuses';

/** stdout of `fn`. */
async function stdoutOf(fn: () => Promise<unknown>): Promise<string> {
  let text = '';
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => { text += s; return true; }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return text;
}

/** Frees what previewTask hands back: the drawn columns and task. */
function release(made: TaskColumns): void {
  made.columns.forEach((c) => c.dispose());
  Object.values(made.task ?? {}).forEach((t) => t.dispose());
}

describe('cli: selfsup preview by value', function () {
  this.timeout(120000);
  let dir = '';
  let run = '';
  let data: ImageDataset;
  const shape = [512, 1, 16, 16];
  const cli = (args: string[]): Promise<unknown> => quietProgram().parseAsync(['node', 'selfsup', 'preview', ...args]);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-preview-values-'));
    data = synthetic({ n: 12, channels: 1, size: 16, seed: 4 });
    // A rotation run folder as selfsup train leaves it (config.json and a checkpoint), without training.
    run = path.join(dir, 'rotation');
    fs.mkdirSync(path.join(run, 'checkpoints'), { recursive: true });
    const c: RunConfig = { ...MAIN_JOB, method: 'rotation', data: 'synthetic', encoderOptions: { width: 4 }, epochs: undefined, steps: 1,
      batchSize: 32, knnEvery: 0, eval: true, out: run, methodOptions: { hiddenDim: 8 } };
    fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ config: c }));
    torch.manualSeed(9);
    const { method } = buildMethod(c, shape);
    saveSafetensors(path.join(run, 'checkpoints', 'step-00000002.safetensors'), new Map([
      ...[...method.stateDict()].map(([k, t]) => [`model.${k}`, t] as [string, torch.Tensor]),
      ['optimizer.state.0.step', torch.zeros([1])]]));
    fs.writeFileSync(path.join(run, 'checkpoints', 'step-00000002.json'), JSON.stringify({ format: 'selfsup-checkpoint', version: 1 }));
    method.dispose();
  });
  after(() => {
    disposeDataset(data);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('preview: refusals by name; the same grid for the same seed; no tensor left', async () => {
    assert.equal(await messageOf(() => preview({ recipe: 'nope' as RecipeName, dataset: data, out: path.join(dir, 'x.png') })),
      `Expected one of ${Object.keys(RECIPES).join(', ')} for recipe but received nope`);
    assert.equal(await messageOf(() => preview({ recipe: 'simclr', dataset: data, out: path.join(dir, 'x.png'), n: 0 })),
      'Expected positive integer for n but received 0');
    const a = path.join(dir, 'a.png');
    const b = path.join(dir, 'b.png');
    await preview({ recipe: 'simclr', dataset: data, out: a, n: 3, views: 3, seed: 5 });
    const before = torch.memory().tensors;
    const info = await preview({ recipe: 'simclr', dataset: data, out: b, n: 3, views: 3, seed: 5 });
    assert.equal(torch.memory().tensors, before);
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
    // 3 rows of 16 px cells and 1 + 3 columns, padding 2, scale 2 under 64 px.
    assert.deepEqual([info.file, info.width, info.height], [b, 2 * (4 * 18 + 2), 2 * (3 * 18 + 2)]);
  });

  it('previewMethod: a fresh method of each task, the context encoder and damaged jigsaw sized to the data; unknown tasks refused', () => {
    for (const [task, size] of [['context_encoder', 40], ['damaged_jigsaw', 36]] as const) {
      const m = previewMethod(task, [1, 1, size, size]);
      assert.equal(m.config().imageSize, size, task);
      m.dispose();
    }
    assert.throws(() => previewMethod('nope' as PreviewTask, shape), (e: Error) => e instanceof TypeError &&
      e.message === `Expected one of ${PREVIEW_TASKS.join(', ')} for task but received nope`);
  });

  it('methodFromRun: the run\'s method with its newest checkpoint\'s model weights (strictly)', () => {
    const method = methodFromRun(run, shape);
    const saved = torch.loadSafetensors(path.join(run, 'checkpoints', 'step-00000002.safetensors'));
    assert.equal(method.name, 'rotation');
    for (const [k, t] of method.stateDict()) assert.deepEqual(t.toArray(), saved.get(`model.${k}`)!.toArray(), k);
    method.dispose();
    // A checkpoint without one of the model's keys does not fit.
    const broken = path.join(dir, 'broken');
    fs.mkdirSync(path.join(broken, 'checkpoints'), { recursive: true });
    fs.copyFileSync(path.join(run, 'config.json'), path.join(broken, 'config.json'));
    const first = [...saved.keys()].find((k) => k.startsWith('model.'))!;
    saved.delete(first);
    saveSafetensors(path.join(broken, 'checkpoints', 'step-00000001.safetensors'), saved);
    fs.copyFileSync(path.join(run, 'checkpoints', 'step-00000002.json'), path.join(broken, 'checkpoints', 'step-00000001.json'));
    saved.forEach((t) => t.dispose());
    assert.throws(() => methodFromRun(broken, shape), (e: Error) => e.message.includes(`missing keys: ${first.slice('model.'.length)}`));
  });

  it('previewTask: refusals by name; the grid of the drawn columns at the size\'s scale, the same for the same seed; methods freed or kept', async () => {
    const out = (f: string) => path.join(dir, f);
    assert.equal(await messageOf(() => previewTask({ task: 'rotation', dataset: data, out: out('t.png'), n: 0 })),
      'Expected positive integer for n but received 0');
    release(await previewTask({ task: 'rotation', dataset: data, out: out('t1.png'), n: 3, seed: 2 }));
    const before = torch.memory().tensors;
    const made = await previewTask({ task: 'rotation', dataset: data, out: out('t2.png'), n: 3, seed: 2 });
    const reference = out('t-ref.png');
    await writeImageGrid(reference, made.columns, { scale: 2 });
    release(made);
    assert.equal(torch.memory().tensors, before, 'the fresh method is freed');
    assert.ok(fs.readFileSync(out('t1.png')).equals(fs.readFileSync(out('t2.png'))), 'seeded');
    assert.ok(fs.readFileSync(out('t2.png')).equals(fs.readFileSync(reference)), 'the columns at scale 2');
    // A given method is used as it is and stays usable.
    const method = methodFromRun(run, shape);
    const given = await previewTask({ task: 'rotation', dataset: data, out: out('t3.png'), n: 2, method, scale: 1 });
    release(given);
    assert.equal(method.stateDict().size > 0 && [...method.stateDict().values()].every((t) => t.toArray() !== undefined), true);
    method.dispose();
  });

  it('previewTask: a given method keeps the statistics it was given (a colour task shows other data through them)', async () => {
    const rgb = synthetic({ n: 6, channels: 3, size: 16, seed: 2 });
    const method = previewMethod('colorization', rgb.images.shape);
    const draw = async (file: string) => {
      release(await previewTask({ task: 'colorization', dataset: rgb, out: path.join(dir, file), n: 2, seed: 1, method }));
      return fs.readFileSync(path.join(dir, file));
    };
    method.augmentation({ size: 16, channels: 3, mean: [0.9, 0.1, 0.5], std: [0.1, 0.2, 0.3], dataset: 'other' });
    const own = await draw('c1.png');
    method.augmentation({ size: 16, channels: 3, mean: rgb.mean, std: rgb.std, dataset: rgb.name });
    const data = await draw('c2.png');
    assert.ok(!own.equals(data), 'the method\'s own statistics, not the data\'s');
    assert.ok((await draw('c3.png')).equals(data), 'the same statistics draw the same grid');
    method.dispose();
    disposeDataset(rgb);
  });

  it('gridScale: the given scale, else 2 under 64 px and 1 from 64 px', () => {
    assert.deepEqual([gridScale(undefined, 63), gridScale(undefined, 64), gridScale(3, 16)], [2, 1, 3]);
  });

  it('the command: a recipe\'s line (synthetic: 256 images drawn), its integer flags, the CIFAR loader by name', async () => {
    const file = path.join(dir, 'cmd.png');
    await cli(['--data', 'synthetic', '--out', file, '--n', '2', '--views', '1', '--seed', '0']);
    const before = torch.memory().tensors;
    const text = await stdoutOf(() => cli(['--data', 'synthetic', '--out', file, '--n', '300', '--views', '1', '--seed', '0']));
    assert.equal(torch.memory().tensors, before, 'the dataset is freed');
    const all = synthetic({ n: 256 });
    const info = await preview({ recipe: 'simclr', dataset: all, out: path.join(dir, 'ref.png'), n: 300, views: 1, seed: 0 });
    disposeDataset(all);
    assert.equal(text, `Wrote ${file} (${info.width}x${info.height}): 300 synthetic-256x3x32x32-k10-s0 images, 1 simclr views each\n`);
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(path.join(dir, 'ref.png'))));
    for (const [flag, value, what] of [['--n', '0', 'a positive integer for --n'], ['--views', '1.5', 'a positive integer for --views'],
      ['--seed', '-1', 'a non-negative integer for --seed'], ['--scale', '0', 'a positive integer for --scale']] as const) {
      assert.equal(await messageOf(() => cli(['--data', 'synthetic', '--out', file, flag, value])),
        `error: option '${flag} <${flag === '--seed' ? 'seed' : flag === '--scale' ? 'factor' : 'count'}>' argument '${value}' is invalid. ` +
        `Expected ${what} but received ${value}`);
    }
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    assert.equal(await messageOf(() => cli(['--data', 'cifar10', '--root', empty, '--out', file])),
      `cifar10: found no data_batch_1.bin in ${empty} or in ${path.join(empty, 'cifar-10-batches-bin')}. Download the binary version from ` +
      'https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass root: the unpacked folder');
    assert.equal(await messageOf(() => cli(['--data', 'cifar100', '--root', empty, '--out', file])),
      `cifar100: found no train.bin in ${empty} or in ${path.join(empty, 'cifar-100-binary')}. Download the binary version from ` +
      'https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass root: the unpacked folder');
  });

  it('the command with --task: its line with and without --run, --run of another task refused, nothing left allocated', async () => {
    const file = path.join(dir, 'task.png');
    const train = await loadDataSplit(parseDataSpec('synthetic'), 'train') as ImageDataset;
    const method = methodFromRun(run, train.images.shape);
    const ref = await previewTask({ task: 'rotation', dataset: train, out: path.join(dir, 'task-ref.png'), n: 3, seed: 1, method });
    release(ref);
    method.dispose();
    const fresh = await previewTask({ task: 'rotation', dataset: train, out: path.join(dir, 'task-fresh.png'), n: 3, seed: 1 });
    release(fresh);
    disposeDataset(train);
    const line = (info: { width: number; height: number; legend: string[] }) => `Wrote ${file} (${info.width}x${info.height}): ` +
      `3 synthetic[train] images, one per row; columns: ${info.legend.map((l, i) => `${i + 1}. ${l}`).join('; ')}`;
    await cli(['--task', 'rotation', '--data', 'synthetic', '--out', file, '--n', '3', '--seed', '1', '--run', run]);
    const before = torch.memory().tensors;
    assert.equal(await stdoutOf(() => cli(['--task', 'rotation', '--data', 'synthetic', '--out', file, '--n', '3', '--seed', '1', '--run', run])),
      `${line(ref)}\n`);
    assert.equal(torch.memory().tensors, before, 'the run\'s method and the dataset are freed');
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(path.join(dir, 'task-ref.png'))));
    assert.equal(await stdoutOf(() => cli(['--task', 'rotation', '--data', 'synthetic', '--out', file, '--n', '3', '--seed', '1'])),
      `${line(fresh)} (predictions of an untrained network: pass --run <folder> for a trained one)\n`);
    assert.equal(await messageOf(() => cli(['--task', 'jigsaw', '--data', 'synthetic', '--out', file, '--run', run])),
      `--run ${run} trained 'rotation', not 'jigsaw'`);
    assert.equal(torch.memory().tensors, before, 'the refused run\'s method and the dataset are freed');
  });
});
