// load-encoder.ts, embed.ts and export.ts by value, fast (issue 21, lib/cli's mutation score, third pass): the
// commands that load an encoder, on run folders written without training: a bare file outside any run folder
// (runOf gives nothing; --encoder and --data name it; no imageSize in the metadata), a colour task's run (its
// Lab-wrapped encoder unless --encoder names another architecture, whose options then ignore the run's), the
// images/s of `selfsup embed` from the clock it reads, what each command frees, the default log on stderr, and
// the refusals of the flags' parsers by the flag's name.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { create as createModel } from '../../lib/models/registry';
import { methodEncoder } from '../../lib/ssl/method-encoder';
import { LabEncoder } from '../../lib/ssl/pretext/lab-encoder';
import { loadEncoder, runOf } from '../../lib/cli/load-encoder';
import { runEmbed } from '../../lib/cli/embed';
import { runExport } from '../../lib/cli/export';
import { exportOnnx } from '../../lib/export/onnx/export';
import { encoderOptionsFor } from '../../lib/cli/train';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { RunConfig } from '../../lib/cli/run-config';
import { readEmbeddings, writeEmbeddings } from '../../lib/export/embeddings-file';
import { quietProgram } from '../helpers/quiet-program';
import { messageOf } from '../helpers/refuses';
import sharp from 'sharp';

/** Live tensors `fn` leaves behind. */
async function leftBy(fn: () => unknown): Promise<number> {
  const before = torch.memory().tensors;
  await fn();
  return torch.memory().tensors - before;
}

/** Runs `fn` with process.stderr writes captured. */
async function stderrOf(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((t: string) => { text += t; return true; }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

describe('cli: the commands that load an encoder, by value (load-encoder, embed, export)', function () {
  this.timeout(60000);
  let dir = '';
  let bare = '';
  const options = encoderOptionsFor('small_cnn', [1, 1, 16, 16], { width: 4 });
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-load-encoder-values-'));
    torch.manualSeed(8);
    const encoder = createModel('small_cnn', options);
    bare = path.join(dir, 'bare.safetensors');
    saveSafetensors(bare, encoder.stateDict());
    encoder.dispose();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a bare file outside any run folder: runOf gives nothing; --encoder and --data name it; no imageSize recorded', async () => {
    assert.deepEqual(runOf(bare), {});
    const loaded = loadEncoder(bare, [1, 1, 16, 16], { encoder: 'small_cnn', encoderOptions: { width: 4 } });
    assert.deepEqual([loaded.name, loaded.options, loaded.run, loaded.runDir], ['small_cnn', options, undefined, undefined]);
    loaded.encoder.dispose();
    const npy = path.join(dir, 'bare.safetensors.out.safetensors');
    const result = await runEmbed(bare, { data: 'synthetic', encoder: 'small_cnn', encoderOptions: { width: 4 }, out: npy, limit: 8,
      log: () => undefined });
    assert.deepEqual([result.file, result.count, result.dim], [npy, 8, 16]);
    const read = readEmbeddings(npy);
    assert.deepEqual(read.metadata, { dataset: 'synthetic', split: 'test', encoder: 'small_cnn', encoderOptions: JSON.stringify(options),
      classes: JSON.stringify(Array.from({ length: 10 }, (_, i) => `class${i}`)), source: path.resolve(bare), format: 'selfsup-embeddings' });
  });

  it('embed of an unlabelled image folder records no class names', async () => {
    const flat = path.join(dir, 'flat');
    fs.mkdirSync(flat);
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 50 * i, g: 90 + 40 * i, b: 200 - 50 * i } } }).png()
        .toFile(path.join(flat, `${i}.png`));
    }
    const out = path.join(dir, 'flat.safetensors');
    const three = createModel('small_cnn', encoderOptionsFor('small_cnn', [1, 3, 16, 16], { width: 4 }));
    const file = path.join(dir, 'three.safetensors');
    saveSafetensors(file, three.stateDict());
    three.dispose();
    await runEmbed(file, { data: `folder:${flat}`, split: 'train', encoder: 'small_cnn', encoderOptions: { width: 4 }, out, log: () => undefined });
    assert.equal(readEmbeddings(out).metadata.classes, '[]');
  });

  it('embed: images/s from the clock it reads around the encoding; the default log on stderr; everything freed', async () => {
    const npy = path.join(dir, 'clock.npy');
    const bigint = process.hrtime.bigint;
    let calls = 0;
    // The clock: 5 s, then 7 s (the encoding took 2 s).
    process.hrtime.bigint = () => BigInt(5e9 + 2e9 * Math.min(calls++, 1));
    let logged = '';
    let result: Awaited<ReturnType<typeof runEmbed>>;
    try {
      logged = await stderrOf(async () => {
        result = await runEmbed(bare, { data: 'synthetic', encoder: 'small_cnn', encoderOptions: { width: 4 }, out: npy, limit: 10 });
      });
    } finally {
      process.hrtime.bigint = bigint;
    }
    assert.equal(calls, 2);
    assert.equal(result!.imagesPerSecond, 5);
    assert.equal(logged, `Wrote ${npy}: 10 x 16 embeddings of synthetic/test (5 images/s)\n`);
    const run = () => runEmbed(bare, { data: 'synthetic', encoder: 'small_cnn', encoderOptions: { width: 4 }, out: npy, limit: 10,
      log: () => undefined });
    await run();
    // writeEmbeddings (lib/export) leaves its three converted tensors to the finalizer: counted here, not embed's.
    const perWrite = await leftBy(() => {
      const [e, l, i] = [torch.zeros([10, 16]), torch.zeros([10], { dtype: 'int64' }), torch.arange(0, 10)];
      writeEmbeddings(path.join(dir, 'w.npy'), { embeddings: e, labels: l, ids: i, metadata: {} });
      for (const t of [e, l, i]) t.dispose();
    });
    const perBuild = await leftBy(() => createModel('small_cnn', options).dispose());
    assert.equal(await leftBy(run), perWrite + perBuild, 'features, labels, ids, the dataset and the encoder are freed');
  });

  it('export: the default log on stderr; the example and the encoder freed', async () => {
    const onnx = path.join(dir, 'bare.onnx');
    const lines: string[] = [];
    const run = () => runExport(bare, { onnx, data: 'synthetic', encoder: 'small_cnn', encoderOptions: { width: 4 }, log: (l) => lines.push(l) });
    await run();
    assert.match(lines[0], /^Wrote .*bare\.onnx: small_cnn, input \(batch, 1, 16, 16\) -> output \(batch, 16\), opset 17, \d+ nodes, /);
    const logged = await stderrOf(() => runExport(bare, { onnx, data: 'synthetic', encoder: 'small_cnn', encoderOptions: { width: 4 } }));
    assert.equal(logged, `${lines[0]}\n`);
    // exportOnnx (lib/export) leaves tensors of its own to the finalizer: counted here with the same encoder, not export's.
    const perExport = await leftBy(() => {
      const [encoder, example] = [createModel('small_cnn', options), torch.zeros([1, 1, 16, 16])];
      exportOnnx(encoder, example, path.join(dir, 'direct.onnx'));
      encoder.dispose();
      example.dispose();
    });
    assert.equal(await leftBy(run), perExport, 'the example and the encoder are freed');
  });

  it('export takes the input shape from the test split of a dataset with a fixed division (Fashion-MNIST: 28 px)', async () => {
    const lines: string[] = [];
    await runExport(bare, { onnx: path.join(dir, 'fashion.onnx'), data: 'fashion-mnist', encoder: 'small_cnn', encoderOptions: { width: 4 },
      log: (l) => lines.push(l) });
    assert.match(lines[0], /: small_cnn, input \(batch, 1, 28, 28\) -> output \(batch, 16\), /);
  });

  it('a colour task\'s run: its Lab-wrapped encoder; with --encoder, that architecture and the options given, not the run\'s', async () => {
    const out = path.join(dir, 'colorization');
    fs.mkdirSync(out);
    const c: RunConfig = { ...MAIN_JOB, method: 'colorization', data: 'synthetic', encoder: 'small_cnn', encoderOptions: { width: 4, pool: 2 },
      epochs: undefined, steps: 1, batchSize: 8, knnEvery: 0, eval: true, out, methodOptions: {} };
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ config: c }));
    const shape = [1, 3, 16, 16];
    const own = encoderOptionsFor('small_cnn', shape, c.encoderOptions);
    const lab = methodEncoder('colorization', 'small_cnn', own, undefined, {});
    saveSafetensors(path.join(out, 'encoder.safetensors'), lab.stateDict());
    const loaded = loadEncoder(out, shape);
    assert.ok(loaded.encoder instanceof LabEncoder);
    const saved = JSON.parse(JSON.stringify(c)) as RunConfig;
    assert.deepEqual([loaded.name, loaded.options, loaded.run, loaded.runDir], ['small_cnn', own, saved, out]);
    loaded.encoder.dispose();
    // A plain small_cnn's weights in the folder, named with --encoder: a plain encoder, the given options only.
    const plainOptions = encoderOptionsFor('small_cnn', shape, { width: 4 });
    const plain = createModel('small_cnn', plainOptions);
    saveSafetensors(path.join(out, 'plain.safetensors'), plain.stateDict());
    const other = loadEncoder(path.join(out, 'plain.safetensors'), shape, { encoder: 'small_cnn', encoderOptions: { width: 4 } });
    assert.equal(other.encoder instanceof LabEncoder, false);
    assert.deepEqual([other.options, other.run, other.runDir], [plainOptions, saved, out]);
    for (const m of [other.encoder, plain, lab]) m.dispose();
  });

  it('embed and export refuse bad --encoder-options, --batch-size and --limit by the flag\'s name', async () => {
    const run = async (args: string[]): Promise<void> => { await quietProgram().parseAsync(['node', 'selfsup', ...args]); };
    const refusals: [string[], string][] = [
      [['embed', bare, '--encoder-options', 'nope'], 'error: option \'--encoder-options <json>\' argument \'nope\' is invalid. ' +
        'Expected a JSON object for --encoder-options (as \'{"width": 16}\') but received nope'],
      [['embed', bare, '--batch-size', '0'], 'error: option \'--batch-size <n>\' argument \'0\' is invalid. ' +
        'Expected an integer >= 1 for --batch-size but received 0'],
      [['embed', bare, '--limit', '0'], 'error: option \'--limit <n>\' argument \'0\' is invalid. Expected an integer >= 1 for --limit but received 0'],
      [['export', bare, '--encoder-options', '[1'], 'error: option \'--encoder-options <json>\' argument \'[1\' is invalid. ' +
        'Expected a JSON object for --encoder-options (as \'{"width": 16}\') but received [1'],
    ];
    for (const [args, message] of refusals) assert.equal(await messageOf(() => run(args)), message, args.join(' '));
  });
});
