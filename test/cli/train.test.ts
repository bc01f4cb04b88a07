import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { resolveRunConfig, runTrain } from '../../lib/cli/train';
import { runEval } from '../../lib/cli/eval';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { RunConfig } from '../../lib/cli/run-config';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset } from '../../lib/data/dataset';
import { SimCLR } from '../../lib/ssl/simclr';
import { Trainer } from '../../lib/train/trainer';
import { loadSafetensors } from '../../lib/torch/safetensors';
import { repoRoot } from '../install/package-fixture';

const CLI = (): string => path.join(repoRoot(), 'bin', 'selfsup.js');

/** A tiny run on the synthetic dataset: small_cnn of width 4 on 16 px gray images. */
function tiny(out: string, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    ...MAIN_JOB, data: 'synthetic', encoderOptions: { width: 4 }, methodOptions: { temperature: 0.2, hiddenDim: 16, outDim: 8 },
    epochs: undefined, steps: 4, batchSize: 64, knnEvery: 0, out, ...extra,
  };
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI(), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: selfsup train and eval', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-train-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resolves no arguments to the main job, and flags override it', () => {
    const c = resolveRunConfig(undefined, { eval: true }, new Date('2026-11-28T10:15:00Z'));
    assert.deepEqual({ ...c, out: '' }, MAIN_JOB);
    assert.equal(c.out, path.join('runs', 'simclr-20261128-101500'));
    const quick = resolveRunConfig(undefined, { eval: false, epochs: 1, out: 'x' });
    assert.equal(quick.epochs, 1);
    assert.equal(quick.eval, false);
    assert.equal(quick.encoder, 'small_cnn');
    const byol = resolveRunConfig('byol', { eval: true, steps: 10 });
    assert.equal(byol.method, 'byol');
    assert.equal(byol.steps, 10);
    assert.equal(byol.epochs, undefined);
    const mae = resolveRunConfig('mae', { eval: true });
    assert.match(mae.encoder, /^vit_/);
  });

  it('reads --config files, with flags taking precedence', () => {
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ method: 'byol', epochs: 3, batchSize: 128, encoderOptions: { width: 8 } }));
    const c = resolveRunConfig(undefined, { eval: true, config: file, batchSize: 64 });
    assert.deepEqual([c.method, c.epochs, c.batchSize, c.encoderOptions.width], ['byol', 3, 64, 8]);
    fs.writeFileSync(file, JSON.stringify({ method: 'byol', epoch: 3 }));
    assert.throws(() => resolveRunConfig(undefined, { eval: true, config: file }), /unknown key\(s\) 'epoch'/);
    fs.writeFileSync(file, '{ nope');
    assert.throws(() => resolveRunConfig(undefined, { eval: true, config: file }), /is not valid JSON/);
  });

  it('a --config file that gives steps (or epochs) replaces the defaults\' run length', () => {
    const file = path.join(dir, 'steps.json');
    fs.writeFileSync(file, JSON.stringify({ method: 'simclr', steps: 3 }));
    const c = resolveRunConfig(undefined, { eval: true, config: file });
    assert.deepEqual([c.steps, c.epochs], [3, undefined]);
    fs.writeFileSync(file, JSON.stringify({ steps: 5 }));
    const main = resolveRunConfig(undefined, { eval: true, config: file });
    assert.deepEqual([main.steps, main.epochs], [5, undefined]);
    const flagged = resolveRunConfig(undefined, { eval: true, config: file, epochs: 2 });
    assert.deepEqual([flagged.steps, flagged.epochs], [undefined, 2]);
  });

  it('the GPU recipe in examples/configs is a valid --config', () => {
    const c = resolveRunConfig(undefined, { eval: true, config: path.join(repoRoot(), 'examples', 'configs', 'simclr-resnet18-gpu.json') });
    assert.deepEqual([c.method, c.encoder, c.epochs, c.batchSize, c.device], ['simclr', 'resnet18', 100, 512, 'cuda']);
    assert.deepEqual(c.encoderOptions, { smallImages: true, pool: 2 });
    assert.deepEqual([c.cudaGraph, c.channelsLast], ['auto', 'auto']);
  });

  it('takes --cuda-graph and --channels-last as auto, on or off', () => {
    const c = resolveRunConfig('simclr', { eval: true, device: 'cuda', cudaGraph: 'off', channelsLast: 'on' });
    assert.deepEqual([c.cudaGraph, c.channelsLast], ['off', 'on']);
    assert.equal(resolveRunConfig('simclr', { eval: true }).cudaGraph, undefined); // auto
    assert.throws(() => resolveRunConfig('simclr', { eval: true, cudaGraph: 'yes' }), /Expected auto, on or off for --cuda-graph but received yes/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, channelsLast: 'nhwc' }), /Expected auto, on or off for --channels-last but received nhwc/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, cudaGraph: 'on' }), /--cuda-graph on needs --device cuda \(the device is cpu\)/);
  });

  it('rejects bad input before any work starts, naming what was wrong', () => {
    assert.throws(() => resolveRunConfig('simclrr', { eval: true }), /Unknown method 'simclrr'; expected one of simclr, byol, dino, mae/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, encoder: 'resnet19' }), /Unknown encoder 'resnet19'; expected .*resnet18/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, data: 'mnist' }), /Unknown dataset 'mnist' for --data/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, data: 'cifar10' }), /--data cifar10 needs its folder/);
    assert.throws(() => resolveRunConfig('mae', { eval: true, encoder: 'resnet18' }), /MAE masks patches of a Vision Transformer: --encoder must be a vit_\* model, not 'resnet18'/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, epochs: 2, steps: 3 }), /Give --epochs or --steps, not both/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, device: 'tpu' }), /Expected cpu, cuda or cuda:N for --device but received tpu/);
    assert.throws(() => resolveRunConfig(undefined, { eval: true, resume: dir, epochs: 3 }), /--resume continues a run with its own config.json; drop --epochs$/);
    assert.throws(() => resolveRunConfig('simclr', { eval: true, resume: dir }), /--resume continues a run with its own config.json; drop 'simclr'$/);
    assert.throws(() => resolveRunConfig(undefined, { eval: true, resume: path.join(dir, 'none') }), /is not a run folder: it has no config.json/);
    assert.deepEqual(parseDataSpec('cifar10:/data/c'), { kind: 'cifar10', root: '/data/c' });
  });

  it('a batch larger than the dataset is refused with both numbers', async () => {
    await assert.rejects(runTrain(tiny(path.join(dir, 'big'), { batchSize: 4096 }), { progress: 'none', print: () => {} }),
      /batchSize 4096 is larger than the dataset 'synthetic\[train\]' \(512 images\)/);
  });

  it('trains into a run folder, prints the evaluation table, and `selfsup eval` reads the run back', async () => {
    const out = path.join(dir, 'run');
    const printed: string[] = [];
    const lines: string[] = [];
    const run = await runTrain(tiny(out, { knnEvery: 1, evalTrainSubset: 256 }), {
      progress: 'lines', stream: { write: (s: string) => lines.push(s) }, print: (s) => printed.push(s),
    });
    assert.equal(run.result.steps, 4);
    for (const f of ['config.json', 'metrics.jsonl', 'eval.json', 'encoder.safetensors', 'loss.png', 'knn.png']) {
      assert.ok(fs.existsSync(path.join(out, f)), `${f} missing`);
    }
    assert.equal((await sharp(path.join(out, 'loss.png')).metadata()).format, 'png');
    const table = printed.join('');
    assert.match(table, /raw pixels/);
    assert.match(table, /random encoder/);
    assert.match(table, /trained encoder/);
    const rows = run.report!.rows.map((r) => r.name);
    assert.deepEqual(rows, ['raw pixels', 'random encoder', 'trained encoder']);
    assert.match(lines.join(''), /Training simclr \(small_cnn/);
    // What the columns mean, and where the run's files are after the table (issue 13).
    assert.match(lines.join(''), /emb-std = embedding std \(collapse if near 0/);
    assert.match(lines.join(''), /k-NN top-1 at step 4 \(epoch 1\): \(k=20\) \d+\.\d\d% \[online monitor on a [\d,]+\/[\d,]+ train\/test subset/);
    assert.ok(table.indexOf('Re-evaluate: selfsup eval') > table.indexOf('trained encoder'), table);
    assert.ok(table.includes(`Evaluation:  ${path.join(out, 'eval.json')}`), table);
    assert.ok(table.includes(`Encoder:     ${path.join(out, 'encoder.safetensors')}`), table);
    assert.ok(table.includes(path.join(out, 'knn.png')), table);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.equal(saved.config.method, 'simclr');
    assert.deepEqual(saved.config.encoderOptions, { width: 4 });
    const keys = [...loadSafetensors(path.join(out, 'encoder.safetensors')).keys()];
    assert.ok(keys.includes('conv1.weight') && keys.includes('bn5.running_var'));

    const report = await runEval(out, { knn: true, trainSubset: 256, log: () => {} });
    const trained = report.rows.find((r) => r.name === 'trained encoder')!;
    const fromTrain = run.report!.rows.find((r) => r.name === 'trained encoder')!;
    assert.equal(trained.linear, undefined);
    assert.equal(trained.knn!['20'], fromTrain.knn!['20']);
    // A checkpoint file evaluates to the same encoder.
    const ck = fs.readdirSync(path.join(out, 'checkpoints')).find((f) => f.endsWith('.safetensors'))!;
    const fromCk = await runEval(path.join(out, 'checkpoints', ck), { knn: true, floors: false, trainSubset: 256, log: () => {} });
    assert.equal(fromCk.rows[0].knn!['20'], fromTrain.knn!['20']);
    await assert.rejects(runEval(path.join(out, 'encoder.safetensors'), { encoder: 'resnet18', knn: true, log: () => {} }),
      /do not fit resnet18/);
  });

  it('`selfsup eval` reads a run folder written through the API when --encoder and --data are given', async () => {
    const out = path.join(dir, 'api');
    const train = await loadDataSplit(parseDataSpec('synthetic'), 'train');
    try {
      const method = new SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 16, outDim: 8 });
      await new Trainer(method, { data: train!, steps: 2, batchSize: 64, out, progress: 'none' }).fit();
    } finally {
      disposeDataset(train!);
    }
    await assert.rejects(runEval(out, { knn: true, log: () => {} }),
      /was not written by selfsup train .*; or name the encoder and the data with --encoder and --data/);
    const report = await runEval(out, { knn: true, encoder: 'small_cnn', encoderOptions: { width: 4 }, data: 'synthetic',
      trainSubset: 256, log: () => {} });
    assert.deepEqual(report.rows.map((r) => r.name), ['raw pixels', 'random encoder', 'trained encoder']);
  });

  it('the command line trains, stops on Ctrl-C with a checkpoint, and --resume finishes the run', async () => {
    const out = path.join(dir, 'cli');
    const args = [CLI(), 'train', 'simclr', '--data', 'synthetic', '--encoder-options', '{"width":4}',
      '--method-options', '{"hiddenDim":16,"outDim":8}', '--steps', '400', '--batch-size', '32', '--knn-every', '0',
      '--no-eval', '--progress', 'lines', '--out', out];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/ step \d+\//.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 130, `exit ${code}: ${stderr}`);
    assert.match(stderr, /Interrupted after step \d+: resume with {2}selfsup train --resume/);
    const checkpoints = fs.readdirSync(path.join(out, 'checkpoints')).filter((f) => f.endsWith('.json'));
    assert.ok(checkpoints.length >= 1);
    const stoppedAt = Number(/step-(\d+)/.exec(checkpoints.sort().at(-1)!)![1]);
    assert.ok(stoppedAt > 0 && stoppedAt < 400, String(stoppedAt));

    const r = cli(['train', '--resume', out, '--progress', 'lines']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Trained 400 steps/);
    const steps = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      .filter((x) => x.type === 'step').map((x) => x.step as number);
    assert.equal(new Set(steps).size, steps.length, 'each logged step once');
    assert.equal(steps.at(-1), 399);
  });

  it('bad arguments exit with status 1 and one line naming the problem', () => {
    const r = cli(['train', 'simclr', '--batch-size', 'lots']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Expected an integer >= 1 for --batch-size but received lots/);
    const m = cli(['train', 'mae', '--encoder', 'resnet18']);
    assert.equal(m.status, 1);
    assert.match(m.stderr, /selfsup: MAE masks patches of a Vision Transformer/);
    const e = cli(['eval', path.join(dir, 'nothing')]);
    assert.equal(e.status, 1);
    assert.match(e.stderr, /Cannot evaluate '.*nothing': no such run folder or file/);
  });
});
