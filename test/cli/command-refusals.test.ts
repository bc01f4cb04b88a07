// Every refusal of the `selfsup` commands that comes before any work, by its
// exact message (issue 21: the mutation run of lib/cli found these lines run by
// no fast test): the real program is parsed with its real actions, each case
// stopping at its check, so nothing loads data or trains here. Also the parts
// of --config files and --data values that the commands share.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { quietProgram } from '../helpers/quiet-program';
import { readConfigFile } from '../../lib/cli/run-config';
import { DATA_KINDS, formatDataSpec, parseDataSpec } from '../../lib/cli/data-spec';
import { PREVIEW_TASKS } from '../../lib/cli/task-preview';
import { refuses } from '../helpers/refuses';

/** The message `selfsup <args>` stops with (its error's class name first). */
async function refusal(args: string[]): Promise<string> {
  try {
    await quietProgram().parseAsync(['node', 'selfsup', ...args]);
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
  return 'accepted';
}

describe('cli: command refusals by exact message', () => {
  let dir: string;
  let run: string; // a folder without config.json
  let bare: string; // a .safetensors outside any run folder
  let text: string; // a run folder of selfsup train bert
  let damaged: string; // a run folder whose config.json was cut short
  let config: (text: string) => string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-refusals-'));
    run = path.join(dir, 'run');
    fs.mkdirSync(run);
    bare = path.join(dir, 'w.safetensors');
    fs.writeFileSync(bare, 'x');
    text = path.join(dir, 'text');
    fs.mkdirSync(text);
    fs.writeFileSync(path.join(text, 'config.json'), JSON.stringify({ config: { method: 'bert', steps: 5 } }));
    damaged = path.join(dir, 'damaged');
    fs.mkdirSync(damaged);
    fs.writeFileSync(path.join(damaged, 'config.json'), '{"config": ');
    fs.writeFileSync(path.join(dir, 'q.txt'), 'x');
    fs.writeFileSync(path.join(dir, 'encoder.safetensors'), 'x');
    let n = 0;
    config = (text) => {
      const f = path.join(dir, `c${n++}.json`);
      fs.writeFileSync(f, text);
      return f;
    };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('export, embed, neighbors, eval, tensorboard, dashboard, preview, bench: each check names the flag or the file', async () => {
    const table: [string[], string][] = [
      [['export', '/nope', '--onnx', 'a.onnx'], "Error: No such run folder or file '/nope'"],
      [['export', run, '--onnx', 'a.onnx'], 'Error: Give the input shape with --shape C,H,W (or the dataset with --data)'],
      [['export', run, '--onnx', 'a.onnx', '--shape', '1,2'],
        "Error: Expected C,H,W (three positive integers) for --shape but received '1,2'"],
      [['export', run, '--onnx', 'a.onnx', '--shape', '1,2,3,4'],
        "Error: Expected C,H,W (three positive integers) for --shape but received '1,2,3,4'"],
      [['export', run, '--onnx', 'a.onnx', '--shape', '1,0,3'],
        "Error: Expected C,H,W (three positive integers) for --shape but received '1,0,3'"],
      [['export', run, '--onnx', 'a.onnx', '--shape', '1,2.5,3'],
        "Error: Expected C,H,W (three positive integers) for --shape but received '1,2.5,3'"],
      // A good shape (spaces allowed) gets as far as the encoder's name.
      [['export', run, '--onnx', 'a.onnx', '--shape', '1, 2 ,3'],
        `Error: '${run}' is not inside a run folder written by selfsup train: name its architecture with --encoder (and --encoder-options)`],
      [['embed', '/nope'], "Error: No such run folder or file '/nope'"],
      [['embed', run], 'Error: Name the dataset to embed with --data (e.g. --data fashion-mnist)'],
      [['embed', run, '--data', 'synthetic', '--split', 'val'], 'TypeError: Expected train or test for --split but received val'],
      [['embed', bare, '--data', 'synthetic'], 'Error: Name the output file with --out (.safetensors, .npy or .parquet)'],
      [['embed', run, '--data', `folder:${dir}`, '--split', 'test'], `Error: --data folder:${dir} has no test split`],
      [['embed', run, '--data', 'synthetic', '--split', 'test'],
        `Error: '${run}' is not inside a run folder written by selfsup train: name its architecture with --encoder (and --encoder-options)`],
      [['neighbors', run, '--query', 'nofile.png'],
        "Error: Expected a row number or an image file for --query but received 'nofile.png' (no such file)"],
      [['neighbors', run, '--query', dir],
        `Error: Expected a row number or an image file for --query but received '${dir}' (no such file)`],
      [['neighbors', run, '--query', '-1'],
        "Error: Expected a row number or an image file for --query but received '-1' (no such file)"],
      [['neighbors', '/nope', '--query', '0'], "Error: No such run folder or file '/nope'"],
      [['neighbors', path.join(dir, 'q.txt'), '--query', '0'], `Error: '${path.join(dir, 'q.txt')}' is neither an embedding file nor a run folder`],
      [['neighbors', path.join(dir, 'encoder.safetensors'), '--query', '0'],
        `Error: '${path.join(dir, 'encoder.safetensors')}' is neither an embedding file nor a run folder`],
      [['neighbors', run, '--query', '0', '--split', 'val'], 'TypeError: Expected train or test for --split but received val'],
      [['neighbors', run, '--query', '0', '-k', '0'],
        "CommanderError: error: option '-k, --k <n>' argument '0' is invalid. Expected an integer >= 1 for -k but received 0"],
      // A run folder without embeddings embeds its split first: that needs the data.
      [['neighbors', run, '--query', '0'], 'Error: Name the dataset to embed with --data (e.g. --data fashion-mnist)'],
      [['eval', '/nope'], "Error: Cannot evaluate '/nope': no such run folder or file"],
      [['eval', run], `Error: '${run}' is not a run folder: it has no config.json (selfsup train writes one into --out); ` +
        'or name the encoder and the data with --encoder and --data'],
      [['eval', run, '--encoder', 'small_cnn'], `Error: '${run}' is not a run folder: it has no config.json (selfsup train writes ` +
        'one into --out); or name the encoder and the data with --encoder and --data'],
      [['eval', damaged], `Error: ${damaged}/config.json is not valid JSON (Unexpected end of JSON input): the run folder's ` +
        'config.json is damaged; or name the encoder and the data with --encoder and --data'],
      [['train', '--resume', damaged], `Error: ${damaged}/config.json is not valid JSON (Unexpected end of JSON input): the run ` +
        "folder's config.json is damaged"],
      [['eval', bare], `Error: '${bare}' is not inside a run folder: name its architecture with --encoder (and --encoder-options)`],
      [['eval', bare, '--encoder', 'small_cnn'], 'Error: Name the dataset to evaluate on with --data (e.g. --data fashion-mnist)'],
      [['tensorboard', '/nope'], "Error: No run folder '/nope'"],
      [['dashboard', '/nope', '--port', '-1'],
        "CommanderError: error: option '--port <n>' argument '-1' is invalid. Expected an integer >= 0 for --port but received -1"],
      [['preview', '--out', 'x.png', '--split', 'val'], 'Error: Expected train or test for --split but received val'],
      [['preview', '--out', 'x.png', '--data', 'cifar10'], 'Error: Expected --root with the cifar10 binary files for --data cifar10'],
      [['preview', '--out', 'x.png', '--data', 'cifar100'], 'Error: Expected --root with the cifar100 binary files for --data cifar100'],
      [['preview', '--out', 'x.png', '--n', '0'],
        "CommanderError: error: option '--n <count>' argument '0' is invalid. Expected a positive integer for --n but received 0"],
      [['preview', '--out', 'x.png', '--views', '1.5'], "CommanderError: error: option '--views <count>' argument '1.5' is invalid. " +
        'Expected a positive integer for --views but received 1.5'],
      [['preview', '--out', 'x.png', '--scale', '0'], "CommanderError: error: option '--scale <factor>' argument '0' is invalid. " +
        'Expected a positive integer for --scale but received 0'],
      [['preview', '--out', 'x.png', '--seed', '-1'], "CommanderError: error: option '--seed <seed>' argument '-1' is invalid. " +
        'Expected a non-negative integer for --seed but received -1'],
      [['preview', '--out', 'x.png', '--task', 'nope'], `Error: Expected one of ${PREVIEW_TASKS.join(', ')} for --task but received nope`],
      [['preview', '--out', 'x.png', '--task', 'jigsaw', '--split', 'val'], 'Error: Expected train or test for --split but received val'],
      [['preview', '--out', 'x.png', '--task', 'jigsaw', '--data', `folder:${dir}`, '--split', 'test'],
        `Error: --data folder:${dir} has no test split`],
      [['bench', '--device', 'tpu'],
        "CommanderError: error: option '--device <device>' argument 'tpu' is invalid. Expected one of cpu, cuda for --device but received tpu"],
      [['bench', '--scale', 'huge'], "CommanderError: error: option '--scale <scale>' argument 'huge' is invalid. " +
        'Expected one of small, full, auto for --scale but received huge'],
      [['bench', '--workload', 'nope'], "CommanderError: error: option '--workload <name>' argument 'nope' is invalid. " +
        "Expected workloads among simclr, byol, dino, mae (comma-separated) or 'all' but received 'nope'"],
      [['bench', '--device', 'cuda', '--workload', 'mae'], 'Error: Expected a CUDA device for --device cuda but this libtorch sees ' +
        'none (selfsup info shows why); use --device cpu'],
    ];
    for (const [args, message] of table) assert.equal(await refusal(args), message, args.join(' '));
  });

  it('eval and train --resume of a text run: the flags that would change its fixed table or its one process', async () => {
    const drop = "Error: selfsup eval of a bert, albert or clip run recomputes the run's own table; drop ";
    const table: [string[], string][] = [
      [['eval', text, '--knn'], `${drop}--knn`],
      [['eval', text, '--linear'], `${drop}--linear`],
      [['eval', text, '--data', 'synthetic'], `${drop}--data`],
      [['eval', text, '--encoder', 'x'], `${drop}--encoder`],
      [['eval', text, '--encoder-options', '{}'], `${drop}--encoder-options`],
      [['eval', text, '--train-subset', '5'], `${drop}--train-subset`],
      [['eval', text, '--no-floors'], `${drop}--no-floors`],
      [['eval', text, '--device', 'cuda'], `${drop}--device`],
      [['eval', text, '--knn', '--no-floors', '--device', 'cuda:1'], `${drop}--knn --no-floors --device`],
      [['train', '--resume', text, '--nproc-per-node', '2'], 'Error: --nproc-per-node: the text methods (text runs) train on one process only'],
      [['train', '--resume', text, '--dashboard'], 'Error: --dashboard shows image runs; drop it for text runs'],
      [['train', 'bert', '--resume', text, '--nproc-per-node', '2'], 'Error: --nproc-per-node: the text methods (bert) train on one process only'],
    ];
    for (const [args, message] of table) assert.equal(await refusal(args), message, args.join(' '));
  });

  it('--config files: unreadable, not JSON, not an object, unknown keys', () => {
    const missing = path.join(dir, 'none.json');
    refuses(() => readConfigFile(missing), `Cannot read --config ${missing}: ENOENT: no such file or directory, open '${missing}'`);
    const bad = config('{"method": ');
    refuses(() => readConfigFile(bad), `--config ${bad} is not valid JSON: Unexpected end of JSON input`);
    for (const text of ['[1]', 'null', '5', '"simclr"']) {
      const f = config(text);
      refuses(() => readConfigFile(f), `--config ${f} must hold a JSON object of options such as {"method": "simclr", "epochs": 5}`);
    }
    const two = config('{"method": "simclr", "lr2": 1, "epoch": 2}');
    refuses(() => readConfigFile(two), `--config ${two}: unknown key(s) 'lr2', 'epoch'; expected some of method, data, imageSize, ` +
      'encoder, encoderOptions, methodOptions, epochs, steps, batchSize, lr, optimizer, device, seed, precision, clipGrad, ' +
      'cudaGraph, channelsLast, checkpointEvery, knnEvery, eval, evalTrainSubset, out');
    assert.deepEqual(readConfigFile(config('{"method": "byol", "epochs": 3}')), { method: 'byol', epochs: 3 });
    assert.deepEqual(readConfigFile(config('{}')), {});
  });

  it('--data values: kinds, folders, the older --root, and back to the string', () => {
    refuses(() => parseDataSpec('mnist'), "Unknown dataset 'mnist' for --data; expected fashion-mnist, cifar10:<dir>, " +
      'cifar100:<dir>, folder:<dir>, synthetic, photos[:<dir>] or stl10:<dir>');
    refuses(() => parseDataSpec('cifar10:'), "Expected a folder after 'cifar10:' in --data cifar10:");
    refuses(() => parseDataSpec('synthetic:'), "Expected a folder after 'synthetic:' in --data synthetic:");
    for (const kind of ['cifar10', 'cifar100', 'folder', 'stl10']) {
      refuses(() => parseDataSpec(kind), `--data ${kind} needs its folder: --data ${kind}:<dir>`);
      assert.deepEqual(parseDataSpec(kind, '/r'), { kind, root: '/r' });
      assert.deepEqual(parseDataSpec(`${kind}:/d`, '/r'), { kind, root: '/d' });
    }
    for (const kind of ['fashion-mnist', 'synthetic', 'photos']) assert.deepEqual(parseDataSpec(kind), { kind });
    assert.deepEqual(parseDataSpec('photos:/p/q'), { kind: 'photos', root: '/p/q' });
    assert.deepEqual(parseDataSpec('folder:/a:b'), { kind: 'folder', root: '/a:b' });
    assert.deepEqual(DATA_KINDS, ['fashion-mnist', 'cifar10', 'cifar100', 'folder', 'synthetic', 'photos', 'stl10']);
    assert.equal(formatDataSpec({ kind: 'cifar10', root: '/d' }), 'cifar10:/d');
    assert.equal(formatDataSpec({ kind: 'synthetic' }), 'synthetic');
  });

  it('main() prints a refusal as one line on stderr and sets exit code 1', async () => {
    const lines: string[] = [];
    const write = process.stderr.write;
    const code = process.exitCode;
    process.stderr.write = ((s: string) => { lines.push(s); return true; }) as typeof process.stderr.write;
    try {
      await main(['node', 'selfsup', 'tensorboard', '/nope']);
      assert.equal(process.exitCode, 1);
    } finally {
      process.stderr.write = write;
      process.exitCode = code;
    }
    assert.deepEqual(lines, ["selfsup: No run folder '/nope'\n"]);
  });
});
