// An image run of `selfsup train` and the commands that read it, by value (issue 21, lib/cli's mutation
// score), on the synthetic data (512 + 256 images of 16 px, one SimCLR step of a 4-wide small_cnn, a few
// seconds): what runTrain logs, prints and writes; then, on a run folder written without training,
// `selfsup eval` of the folder, its encoder file, its checkpoint and the encoder file outside the folder
// gives evaluateEncoder's table for the same weights; the options that pick rows; `selfsup embed` writes the encoder's features with their metadata; `selfsup neighbors` finds
// the rows a brute-force cosine search finds; `selfsup export` writes the ONNX file it reports; and the
// method a config builds for its data (buildMethod, encoderOptionsFor).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildMethod, encoderOptionsFor, readRunConfig, runTrain, TrainRun } from '../../lib/cli/train';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { RunConfig } from '../../lib/cli/run-config';
import { runEval } from '../../lib/cli/eval';
import { runEmbed } from '../../lib/cli/embed';
import { runNeighbors } from '../../lib/cli/neighbors';
import { runExport } from '../../lib/cli/export';
import { loadEncoder } from '../../lib/cli/load-encoder';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { extractFeatures } from '../../lib/eval/features';
import { EvalReport, evaluateEncoder, formatReport } from '../../lib/eval/report';
import * as torch from '../../lib/torch';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { create as createModel } from '../../lib/models/registry';
import { readEmbeddingsAsync } from '../../lib/export/embeddings-file';
import sharp from 'sharp';
import { quietProgram } from '../helpers/quiet-program';
import { messageOf } from '../helpers/refuses';

const COLUMNS = 'Columns: loss; lr, wd = learning rate, weight decay; emb-std = embedding std (collapse if near 0, ' +
  'about 1/sqrt(dim) when healthy); img/s; ETA = time left at the recent speed';

/** A report without its timings (they differ from run to run). */
function untimed(r: EvalReport): unknown {
  return JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'seconds' ? undefined : v)));
}

/** stdout of `fn` (stderr silenced). */
async function stdoutOf(fn: () => Promise<unknown>): Promise<string> {
  let text = '';
  const write = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((s: string) => { text += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
    process.stderr.write = err;
  }
  return text;
}

describe('cli: an image run by value (runTrain)', function () {
  this.timeout(120000);
  let dir = '';
  let out = '';
  let c: RunConfig;
  let run: TrainRun;
  const lines: string[] = [];
  let printed = '';

  // NOTE: the run is in the test, not in a before hook: Stryker's per-test coverage does not see code that hooks run.
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-image-values-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runTrain: the log lines, the printed table and where things are, eval.json', async () => {
    out = path.join(dir, 'run');
    c = { ...MAIN_JOB, data: 'synthetic', encoderOptions: { width: 4 }, epochs: undefined, steps: 1, batchSize: 32, knnEvery: 0,
      eval: true, out, methodOptions: { hiddenDim: 16, outDim: 8 } };
    lines.length = 0;
    printed = '';
    run = await runTrain(c, { progress: 'lines', print: (t) => { printed += t; },
      stream: { write: (s: string) => { lines.push(...s.split('\n').filter((l) => l !== '')); return true; } } });
    const built = buildMethod(c, [512, 1, 16, 16]);
    const parameters = built.method.encoder.numParameters();
    built.method.dispose();
    assert.equal(parameters, 4460);
    assert.equal(lines[0], `Training simclr (small_cnn, 4,460 parameters) on synthetic[train] (512 images) for 1 steps on cpu; run folder ${out}`);
    assert.equal(lines[1], COLUMNS);
    assert.ok(lines.some((l) => /^Trained 1 steps in \d+ s \(\d+ images\/s\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l === `Pictures (${/\((\d+\.\d) s\)/.exec(l)?.[1]} s): retrieval.png, embedding-map.png in ${out}`), lines.join('\n'));
    assert.ok(lines.includes('Evaluating: weighted k-NN (T = 0.07) and linear probe, next to raw pixels and a random encoder'));
    assert.equal(run.rank, 0);
    assert.equal(run.config, c);
    assert.equal(run.task, undefined);
    const report = run.report!;
    assert.deepEqual(report.rows.map((r) => r.name), ['raw pixels', 'random encoder', 'trained encoder']);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')), JSON.parse(JSON.stringify(report)));
    const plots = ['loss.png', 'retrieval.png', 'embedding-map.png'].map((f) => path.join(out, f)).join(', ');
    assert.equal(printed, `\n${formatReport(report)}\n\n` + [
      `Run folder:  ${out}`, `Evaluation:  ${path.join(out, 'eval.json')}`, `Plots:       ${plots}`,
      `Encoder:     ${path.join(out, 'encoder.safetensors')}`, `Re-evaluate: selfsup eval ${out}`,
    ].join('\n') + '\n');
    assert.equal(run.result.encoder, path.join(out, 'encoder.safetensors'));
    assert.deepEqual(readRunConfig(out), { ...JSON.parse(JSON.stringify(c)), out });
  });


  it('runTrain --no-eval --knn-every 1 --progress none: the monitor on the test split, no columns line, no table, no eval.json', async () => {
    const quiet = path.join(dir, 'quiet');
    const q: RunConfig = { ...MAIN_JOB, data: 'synthetic', encoderOptions: { width: 4 }, epochs: undefined, steps: 1, batchSize: 32,
      knnEvery: 1, eval: false, out: quiet, methodOptions: { hiddenDim: 16, outDim: 8 } };
    const logged: string[] = [];
    let text = '';
    const r = await runTrain(q, { progress: 'none', print: (t) => { text += t; },
      stream: { write: (s: string) => { logged.push(...s.split('\n').filter((l) => l !== '')); return true; } } });
    assert.equal(logged[0], `Training simclr (small_cnn, 4,460 parameters) on synthetic[train] (512 images) for 1 steps on cpu; run folder ${quiet}`);
    assert.ok(!logged.includes(COLUMNS));
    assert.ok(!logged.some((l) => l.startsWith('Evaluating')));
    assert.deepEqual([r.report, r.task, r.rank, text], [undefined, undefined, 0, '']);
    assert.ok(!fs.existsSync(path.join(quiet, 'eval.json')));
    const monitor = JSON.parse(fs.readFileSync(path.join(quiet, 'config.json'), 'utf8')).trainer.monitor;
    assert.deepEqual([monitor.train, monitor.test, monitor.everyEpochs], ['synthetic[train]', 'synthetic[test]', 1]);
    // Without the monitor (--knn-every 0) config.json records none; epochs instead of steps are logged as such.
    const none = path.join(dir, 'none');
    const noneLines: string[] = [];
    await runTrain({ ...q, knnEvery: 0, out: none, steps: undefined, epochs: 1, batchSize: 256 }, { progress: 'none', print: () => undefined,
      stream: { write: (s: string) => { noneLines.push(...s.split('\n').filter((l) => l !== '')); return true; } } });
    assert.equal(JSON.parse(fs.readFileSync(path.join(none, 'config.json'), 'utf8')).trainer.monitor, null);
    assert.equal(noneLines[0], `Training simclr (small_cnn, 4,460 parameters) on synthetic[train] (512 images) for 1 epochs on cpu; run folder ${none}`);
  });
});

// A run folder written here without training (config.json and a seeded encoder's weights, as selfsup train
// leaves them, and a checkpoint of the same weights): the commands that read it, each against a reference
// computed here with the same weights (a fraction of a second each, no training).
describe('cli: the commands that read a run folder, by value', function () {
  this.timeout(120000);
  let dir = '';
  let out = '';
  let c: RunConfig;
  let reference: EvalReport;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-run-readers-'));
    out = path.join(dir, 'run');
    fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
    c = { ...MAIN_JOB, data: 'synthetic', encoderOptions: { width: 4 }, epochs: undefined, steps: 1, batchSize: 32, knnEvery: 0,
      eval: true, out, methodOptions: { hiddenDim: 16, outDim: 8 } };
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ config: c }));
    torch.manualSeed(3);
    const options = encoderOptionsFor('small_cnn', [1, 1, 16, 16], { width: 4 });
    const encoder = createModel('small_cnn', options);
    saveSafetensors(path.join(out, 'encoder.safetensors'), encoder.stateDict());
    saveSafetensors(path.join(out, 'checkpoints', 'step-00000001.safetensors'),
      new Map([...[...encoder.stateDict()].map(([k, t]) => [`model.encoder.${k}`, t] as [string, torch.Tensor]),
        // A checkpoint holds more than the encoder: only the model.encoder.* keys are read.
        ['model.projector.weight', torch.zeros([2, 2])], ['optimizer.state.0.step', torch.zeros([1])]]));
    fs.writeFileSync(path.join(out, 'checkpoints', 'step-00000001.json'), '{}');
    const train = await loadDataSplit(parseDataSpec('synthetic'), 'train') as ImageDataset;
    const test = await loadDataSplit(parseDataSpec('synthetic'), 'test') as ImageDataset;
    reference = await evaluateEncoder(encoder, { train, test, randomEncoder: () => createModel('small_cnn', options), device: 'cpu',
      log: () => undefined });
    encoder.dispose();
    disposeDataset(train);
    disposeDataset(test);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('selfsup eval of the run folder, its encoder file, its checkpoint and a copy outside it gives evaluateEncoder\'s table for those weights', async () => {
    const report = reference;
    const again = await runEval(out, { log: () => undefined });
    assert.deepEqual(untimed(again), untimed(report));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')), JSON.parse(JSON.stringify(again)), 'eval.json rewritten');
    assert.deepEqual(untimed(await runEval(path.join(out, 'encoder.safetensors'), { log: () => undefined })), untimed(report));
    const checkpoint = path.join(out, 'checkpoints', 'step-00000001.json');
    assert.deepEqual(untimed(await runEval(checkpoint, { log: () => undefined })), untimed(report));
    assert.deepEqual(untimed(await runEval(checkpoint.replace(/json$/, 'safetensors'), { log: () => undefined })), untimed(report));
    const bare = path.join(dir, 'bare.safetensors');
    fs.copyFileSync(path.join(out, 'encoder.safetensors'), bare);
    assert.equal(await messageOf(() => runEval(bare)),
      `'${bare}' is not inside a run folder: name its architecture with --encoder (and --encoder-options)`);
    assert.equal(await messageOf(() => runEval(bare, { encoder: 'small_cnn' })), 'Name the dataset to evaluate on with --data (e.g. --data fashion-mnist)');
    const fromBare = await runEval(bare, { encoder: 'small_cnn', encoderOptions: { width: 4 }, data: 'synthetic', log: () => undefined });
    assert.deepEqual(untimed(fromBare), untimed(report));
    assert.match(await messageOf(() => runEval(bare, { encoder: 'small_cnn', encoderOptions: { width: 8 }, data: 'synthetic' })),
      new RegExp(`^The weights in '${bare.replace(/[/.]/g, '\\$&')}' do not fit small_cnn: `));
    // The command prints the table on stdout.
    const text = await stdoutOf(() => quietProgram().parseAsync(['node', 'selfsup', 'eval', out]));
    assert.equal(text, `${formatReport(again)}\n`);
  });

  it('selfsup eval --knn / --linear / --no-floors / --train-subset pick the rows and measurements', async () => {
    const full = untimed(reference) as { rows: Record<string, unknown>[] } & Record<string, unknown>;
    const knn = untimed(await runEval(out, { knn: true, floors: false, log: () => undefined })) as typeof full;
    assert.deepEqual(knn.rows.map((r) => r.name), ['trained encoder']);
    assert.deepEqual(knn.rows[0].knn, full.rows[2].knn);
    assert.equal(knn.rows[0].linear, undefined);
    const linear = untimed(await runEval(out, { linear: true, log: () => undefined })) as typeof full;
    assert.deepEqual(linear.rows.map((r) => [r.name, r.linear, r.knn]), full.rows.map((r) => [r.name, r.linear, undefined]));
    const subset = await runEval(out, { knn: true, floors: false, trainSubset: 300, log: () => undefined });
    assert.equal(subset.train.size, 300);
    // A run folder whose config.json selfsup train did not write: --encoder and --data name them.
    const api = path.join(dir, 'api-run');
    fs.mkdirSync(api);
    fs.copyFileSync(path.join(out, 'encoder.safetensors'), path.join(api, 'encoder.safetensors'));
    fs.writeFileSync(path.join(api, 'config.json'), JSON.stringify({ method: 'simclr' }));
    assert.equal(await messageOf(() => runEval(api)), `${path.join(api, 'config.json')} was not written by selfsup train (no "config" record): ` +
      'resume it from the API instead; or name the encoder and the data with --encoder and --data');
    const named = await runEval(api, { encoder: 'small_cnn', encoderOptions: { width: 4 }, data: 'synthetic', knn: true, floors: false,
      log: () => undefined });
    assert.deepEqual((untimed(named) as typeof full).rows[0].knn, full.rows[2].knn);
    assert.ok(!fs.existsSync(path.join(api, 'eval.json')), 'no eval.json without a run config');
  });

  it('selfsup embed writes the encoder\'s features of the split, labels, ids and metadata; neighbors finds the brute-force nearest rows', async () => {
    const logged: string[] = [];
    const result = await runEmbed(out, { log: (l) => logged.push(l) });
    const file = path.join(out, 'embeddings-test.safetensors');
    assert.deepEqual([result.file, result.count, result.dim], [file, 256, 16]);
    assert.match(logged[0], new RegExp(`^Wrote ${file.replace(/[/.]/g, '\\$&')}: 256 x 16 embeddings of synthetic/test \\(\\d+ images/s\\)$`));
    const e = await readEmbeddingsAsync(file);
    const test = await loadDataSplit(parseDataSpec('synthetic'), 'test') as ImageDataset;
    const { encoder } = loadEncoder(out, test.images.shape);
    const reference = extractFeatures(encoder, test);
    encoder.dispose();
    assert.deepEqual(e.embeddings.toArray(), reference.features.toArray());
    assert.deepEqual((e.labels.toArray() as number[]).map(Number), (reference.labels.toArray() as number[]).map(Number));
    assert.deepEqual((e.ids.toArray() as number[]).map(Number), Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual({ ...e.metadata, encoderOptions: JSON.parse(e.metadata.encoderOptions) }, {
      ...e.metadata, dataset: 'synthetic', split: 'test', encoder: 'small_cnn', source: path.resolve(out),
      encoderOptions: { inChannels: 1, width: 4, numClasses: 0 },
    });
    assert.equal(e.metadata.imageSize, String(c.imageSize));
    // --split train --limit 10 --out x.npy: the first 10 training images.
    const npy = path.join(dir, 'train10.npy');
    const ten = await runEmbed(out, { split: 'train', limit: 10, out: npy, batchSize: 3, log: () => undefined });
    assert.deepEqual([ten.file, ten.count, ten.dim], [npy, 10, 16]);

    // neighbors of row 5: the 4 rows of highest cosine similarity but row 5 itself.
    const rows = e.embeddings.toArray() as number[][];
    const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    const normed = rows.map((v) => v.reduce((a, x, j) => a + x * rows[5][j], 0) / (norm(v) * norm(rows[5])));
    const order = normed.map((s, row) => ({ s, row })).filter((x) => x.row !== 5).sort((a, b) => b.s - a.s).slice(0, 4);
    const found: string[] = [];
    const nb = await runNeighbors(out, { query: 5, k: 4, log: (l) => found.push(l) });
    assert.deepEqual(nb.neighbors.map((n) => n.row), order.map((x) => x.row));
    assert.deepEqual(nb.neighbors.map((n) => n.id), order.map((x) => x.row));
    const labels = (e.labels.toArray() as number[]).map(Number);
    assert.deepEqual(nb.neighbors.map((n) => n.label), order.map((x) => labels[x.row]));
    nb.neighbors.forEach((n, i) => assert.ok(Math.abs(n.score - order[i].s) < 1e-5, `${n.score} ${order[i].s}`));
    assert.deepEqual([nb.embeddings, nb.index, nb.built, nb.grid], [file, `${file}.usearch`, true, path.join(out, 'neighbors-5.png')]);
    const classes = JSON.parse(e.metadata.classes) as string[];
    assert.deepEqual(classes, test.classes);
    assert.equal(found[0], `query row 5 (${classes[labels[5]]}), 4 nearest by cosine:`);
    assert.deepEqual(found.slice(1, 5), nb.neighbors.map((n, i) => `  ${i + 1}. row ${n.row}  ${classes[n.label]}  ${n.score.toFixed(4)}`));
    assert.equal(found[5], `Wrote ${path.join(out, 'neighbors-5.png')}: the query, then its neighbours`);
    assert.ok(fs.existsSync(path.join(out, 'neighbors-5.png')));
    // The second search loads the saved index; k 1 gives the nearest alone; a row out of range is refused.
    const again = await runNeighbors(out, { query: 5, k: 1, grid: path.join(dir, 'g.png'), log: () => undefined });
    assert.deepEqual([again.built, again.neighbors.map((n) => n.row), again.grid], [false, [order[0].row], path.join(dir, 'g.png')]);
    assert.equal(await messageOf(() => runNeighbors(out, { query: 256, log: () => undefined })),
      `Expected a row in 0..255 for --query but received 256 ('${file}' has 256 rows)`);
    // An embedding file without a dataset (here the .npy) finds neighbours, writes no grid.
    const plainLog: string[] = [];
    const plain = await runNeighbors(npy, { query: 0, k: 3, log: (l) => plainLog.push(l) });
    assert.deepEqual([plain.grid, plain.neighbors.length, plainLog.length], [undefined, 3, 4]);
    // Through the command line: a number is a row, an existing file an image query (this .npy names no dataset to embed it
    // with), anything else is refused.
    const trainRows = (await readEmbeddingsAsync(npy)).embeddings.toArray() as number[][];
    const cos = (a: number[], b: number[]) => a.reduce((x, v, j) => x + v * b[j], 0) / (norm(a) * norm(b));
    const top = (q: number, k: number) => trainRows.map((v, row) => ({ s: cos(v, trainRows[q]), row })).filter((x) => x.row !== q)
      .sort((a, b) => b.s - a.s).slice(0, k).map((x) => x.row);
    // A query among whose neighbours row 0 is (row 0 must not be skipped like a missing row).
    const q0 = [1, 2, 3, 4, 5, 6, 7, 8, 9].find((q) => top(q, 3).includes(0))!;
    assert.ok(q0 !== undefined);
    const cli = quietProgram();
    let foundRows: number[] = [];
    cli.commands.find((x) => x.name() === 'neighbors')!.action(async (t: string, f: { query: number | string; k: number }) => {
      foundRows = (await runNeighbors(t, { ...f, log: () => undefined })).neighbors.map((n) => n.row);
    });
    await cli.parseAsync(['node', 'selfsup', 'neighbors', npy, '--query', String(q0), '-k', '3']);
    assert.deepEqual(foundRows, top(q0, 3));
    const image = path.join(dir, '12.png');
    fs.copyFileSync(path.join(out, 'neighbors-5.png'), image);
    const neighbors = (args: string[]) => quietProgram().parseAsync(['node', 'selfsup', 'neighbors', npy, ...args]);
    assert.equal(await messageOf(() => neighbors(['--query', image])), 'An image query needs the embedding file\'s dataset and encoder; ' +
      'this one names no dataset: embed with selfsup embed, or query a row');
    const missing = path.join(dir, '7.png');
    assert.equal(await messageOf(() => neighbors(['--query', missing])),
      `Expected a row number or an image file for --query but received '${missing}' (no such file)`);
    assert.equal(await messageOf(() => neighbors(['--query', '10'])), `Expected a row in 0..9 for --query but received 10 ('${npy}' has 10 rows)`);
    assert.equal(await messageOf(() => neighbors(['--query', '12x'])),
      'Expected a row number or an image file for --query but received \'12x\' (no such file)');
    e.embeddings.dispose(); e.labels.dispose(); e.ids.dispose();
    reference.features.dispose(); reference.labels.dispose();
    disposeDataset(test);
  });

  it('selfsup export writes the ONNX file it reports, with the run\'s input shape', async () => {
    const onnx = path.join(dir, 'enc.onnx');
    const logged: string[] = [];
    const info = await runExport(out, { onnx, log: (l) => logged.push(l) });
    assert.deepEqual([info.file, info.inputShape, info.outputShape, info.opset, info.bytes], [onnx, ['batch', 1, 16, 16], ['batch', 16], 17,
      fs.statSync(onnx).size]);
    assert.equal(logged[0], `Wrote ${onnx}: small_cnn, input (batch, 1, 16, 16) -> output (batch, 16), opset 17, ${info.nodes} nodes, ` +
      `${(info.bytes / 1e6).toFixed(1)} MB`);
    const shaped = await runExport(out, { onnx: path.join(dir, 'enc2.onnx'), shape: [1, 20, 20], log: () => undefined });
    assert.deepEqual(shaped.inputShape, ['batch', 1, 20, 20]);
    // A bare encoder file with an image folder's shape: the folder's (only) split, at the default 64 px.
    const folder = path.join(dir, 'images');
    fs.mkdirSync(path.join(folder, 'a'), { recursive: true });
    for (let i = 0; i < 2; i++) {
      await sharp({ create: { width: 10, height: 10, channels: 3, background: { r: 90 * i, g: 9, b: 0 } } }).png().toFile(path.join(folder, 'a', `${i}.png`));
    }
    const rgb = path.join(dir, 'rgb.safetensors');
    const model = createModel('small_cnn', { inChannels: 3, width: 4, numClasses: 0 });
    saveSafetensors(rgb, model.stateDict());
    model.dispose();
    const fromFolder = await runExport(rgb, { onnx: path.join(dir, 'enc3.onnx'), data: `folder:${folder}`, encoder: 'small_cnn',
      encoderOptions: { width: 4 }, log: () => undefined });
    assert.deepEqual(fromFolder.inputShape, ['batch', 3, 64, 64]);
  });

  it('selfsup eval: a file more than three folders below a run folder is not inside it', async () => {
    const deep = path.join(out, 'a', 'b', 'c');
    fs.mkdirSync(deep, { recursive: true });
    const file = path.join(deep, 'enc.safetensors');
    fs.copyFileSync(path.join(out, 'encoder.safetensors'), file);
    assert.equal(await messageOf(() => runEval(file)),
      `'${file}' is not inside a run folder: name its architecture with --encoder (and --encoder-options)`);
    const two = path.join(out, 'a', 'b', 'enc.safetensors');
    fs.copyFileSync(path.join(out, 'encoder.safetensors'), two);
    assert.deepEqual((untimed(await runEval(two, { knn: true, floors: false, log: () => undefined })) as { rows: unknown[] }).rows,
      (untimed(reference) as { rows: Record<string, unknown>[] }).rows.filter((r) => r.name === 'trained encoder')
        .map((r) => ({ ...r, linear: undefined, linearTrain: undefined })).map((r) => JSON.parse(JSON.stringify(r))));
  });
});

describe('cli: the method and encoder options a run config builds for its data', () => {
  it('readRunConfig refuses a folder without config.json, a damaged one and one without a config record, naming the file', () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bad-run-'));
    assert.throws(() => readRunConfig(bad), (e: Error) =>
      e.message === `'${bad}' is not a run folder: it has no config.json (selfsup train writes one into --out)`);
    const file = path.join(bad, 'config.json');
    fs.writeFileSync(file, '{x');
    assert.throws(() => readRunConfig(bad), (e: Error) => e.message.startsWith(`${file} is not valid JSON (`) &&
      e.message.endsWith('): the run folder\'s config.json is damaged'));
    for (const body of ['null', '5', '{"config": {"method": 3}}', '{"config": {}}', '{"other": 1}']) {
      fs.writeFileSync(file, body);
      assert.throws(() => readRunConfig(bad), (e: Error) =>
        e.message === `${file} was not written by selfsup train (no "config" record): resume it from the API instead`, body);
    }
    fs.rmSync(bad, { recursive: true, force: true });
  });

  it('encoderOptionsFor: channels and size from the data by family, overrides over them, numClasses 0', () => {
    assert.deepEqual(encoderOptionsFor('vit_tiny_patch4_224', [9, 3, 32, 32]), { inChannels: 3, imgSize: 32, numClasses: 0 });
    assert.deepEqual(encoderOptionsFor('resnet18', [9, 1, 64, 64]), { inChannels: 1, smallImages: true, numClasses: 0 });
    assert.deepEqual(encoderOptionsFor('resnet18', [9, 3, 65, 65]), { inChannels: 3, smallImages: false, numClasses: 0 });
    assert.deepEqual(encoderOptionsFor('small_cnn', [9, 2, 16, 16], { width: 4, numClasses: 7 }), { inChannels: 2, width: 4, numClasses: 0 });
    assert.deepEqual(encoderOptionsFor('my_vit_resnet', [9, 2, 16, 16]), { inChannels: 2, numClasses: 0 });
  });

  const base = (method: RunConfig['method'], methodOptions: Record<string, unknown> = {}): RunConfig =>
    ({ ...MAIN_JOB, method, encoder: 'small_cnn', encoderOptions: { width: 4 }, methodOptions });
  const config = (c: RunConfig, shape: number[]): Record<string, unknown> => {
    const { method } = buildMethod(c, shape);
    const cfg = method.config();
    method.dispose();
    return cfg;
  };

  it('buildMethod: SimCLR\'s temperature 0.1 above 64 px unless given, DeepCluster v2\'s bank one row per image, the context encoder\'s image size', () => {
    assert.equal(config(base('simclr'), [10, 3, 65, 65]).temperature, 0.1);
    assert.equal(config(base('simclr'), [10, 3, 64, 64]).temperature, 0.5);
    assert.equal(config(base('simclr', { temperature: 0.3 }), [10, 3, 96, 96]).temperature, 0.3);
    assert.notEqual(config(base('byol'), [10, 3, 96, 96]).temperature, 0.1);
    assert.equal(config(base('deepclusterv2'), [4000, 1, 16, 16]).datasetSize, 4000);
    assert.equal(config(base('deepclusterv2', { datasetSize: 5000 }), [4000, 1, 16, 16]).datasetSize, 5000);
    assert.equal(config(base('context_encoder'), [10, 1, 32, 32]).imageSize, 32);
    assert.equal(config(base('context_encoder', { imageSize: 48 }), [10, 1, 32, 32]).imageSize, 48);
    assert.equal(config(base('damaged_jigsaw'), [10, 1, 36, 36]).imageSize, 36);
  });
});
