// `--data` and `selfsup launch` by value (issue 21, lib/cli's mutation score): each dataset kind reaches
// its own loader (a missing folder is refused by that loader's message, a folder has no test split), the
// synthetic data's two splits are the two parts of one draw; `selfsup launch` hands lib/train's launch
// (replaced by a recorder) each flag and its default, and `selfsup` as the script means this command.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { synthetic } from '../../lib/data/synthetic';
import { quietProgram } from '../helpers/quiet-program';
import * as launchModule from '../../lib/train/launch';
import { messageOf } from '../helpers/refuses';

describe('cli: --data reaches its loader', function () {
  this.timeout(60000);

  it('synthetic: train and test are the first 512 and the last 256 images of one draw of 768', async () => {
    const all = synthetic({ n: 768, channels: 1, size: 16 });
    const train = await loadDataSplit(parseDataSpec('synthetic'), 'train') as ImageDataset;
    const test = await loadDataSplit(parseDataSpec('synthetic'), 'test') as ImageDataset;
    assert.deepEqual([train.name, train.length, test.name, test.length], ['synthetic[train]', 512, 'synthetic[test]', 256]);
    assert.deepEqual(train.images.toArray(), all.images.narrow(0, 0, 512).toArray());
    assert.deepEqual(test.images.toArray(), all.images.narrow(0, 512, 256).toArray());
    assert.deepEqual(test.labels!.toArray(), all.labels!.narrow(0, 512, 256).toArray());
    for (const d of [all, train, test]) disposeDataset(d);
  });

  it('each kind with a missing folder is refused by its own loader, by message', async () => {
    const missing = path.join(os.tmpdir(), 'selfsup-no-such-data-folder');
    const messages: string[] = [];
    for (const kind of ['fashion-mnist', 'cifar10', 'cifar100', 'stl10', 'photos', 'folder']) {
      messages.push(await messageOf(() => loadDataSplit(parseDataSpec(`${kind}:${missing}`), 'train')));
    }
    assert.equal(new Set(messages).size, 6, messages.join('\n'));
    for (const m of messages) assert.ok(m.includes(missing), m);
    assert.match(messages[1], /cifar|CIFAR/);
    assert.match(messages[2], /cifar|CIFAR/);
    assert.match(messages[3], /stl|STL/);
  });

  it('folder: the training split is the whole folder decoded at --image-size, and there is no test split', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-folder-data-'));
    try {
      fs.mkdirSync(path.join(dir, 'a'));
      for (let i = 0; i < 3; i++) {
        await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 80 * i, g: 0, b: 0 } } }).png().toFile(path.join(dir, 'a', `${i}.png`));
      }
      const spec = parseDataSpec(`folder:${dir}`);
      const train = await loadDataSplit(spec, 'train', 12) as ImageDataset;
      assert.deepEqual(train.images.shape, [3, 3, 12, 12]);
      disposeDataset(train);
      const byDefault = await loadDataSplit(spec, 'train') as ImageDataset;
      assert.deepEqual(byDefault.images.shape, [3, 3, 64, 64]);
      disposeDataset(byDefault);
      assert.equal(await loadDataSplit(spec, 'test'), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

type LaunchArgs = Parameters<typeof launchModule.launch>[0];

describe('cli: selfsup launch hands each flag to the launcher', () => {
  const real = launchModule.launch;
  let calls: LaunchArgs[];
  beforeEach(() => {
    calls = [];
    (launchModule as { launch: typeof real }).launch = async (o: LaunchArgs) => { calls.push(o); };
  });
  afterEach(() => { (launchModule as { launch: typeof real }).launch = real; });
  const launch = (args: string[]): Promise<unknown> => quietProgram().parseAsync(['node', 'selfsup', 'launch', ...args]);
  const bin = path.resolve(__dirname, '../../../bin/selfsup.js');

  it('the defaults, each flag by value, `selfsup` as this command and other scripts as given', async () => {
    await launch(['--nproc-per-node', '2', 'job.js']);
    await launch(['--nproc-per-node', '3', '--nnodes', '2', '--node-rank', '1', '--master-addr', '10.1.2.3', '--master-port', '29600',
      'selfsup', '--', 'train', 'simclr', '--steps', '1']);
    await launch(['--nproc-per-node', '1', 'other.js', 'a', 'b']);
    assert.deepEqual(calls, [
      { nprocPerNode: 2, nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: 29500, script: 'job.js', args: [] },
      { nprocPerNode: 3, nnodes: 2, nodeRank: 1, masterAddr: '10.1.2.3', masterPort: 29600, script: bin,
        args: ['train', 'simclr', '--steps', '1'] },
      { nprocPerNode: 1, nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: 29500, script: 'other.js', args: ['a', 'b'] },
    ]);
    assert.ok(fs.existsSync(bin), bin);
  });

  it('refuses a missing --nproc-per-node, bad integers and unknown options, naming them', async () => {
    assert.match(await messageOf(() => launch(['job.js'])), /required option '--nproc-per-node <n>' not specified/);
    assert.match(await messageOf(() => launch(['--nproc-per-node', '1.5', 'job.js'])), /Expected an integer >= 1 for --nproc-per-node but received 1\.5/);
    assert.match(await messageOf(() => launch(['--nproc-per-node', '1', '--node-rank', '-1', 'job.js'])),
      /Expected an integer >= 0 for --node-rank but received -1/);
    assert.match(await messageOf(() => launch(['--nproc-per-node', '1', '--nnodes', '0', 'job.js'])), /Expected an integer >= 1 for --nnodes but received 0/);
    assert.match(await messageOf(() => launch(['--nproc-per-node', '1', '--master-port', 'x', 'job.js'])), /Expected an integer >= 1 for --master-port/);
    assert.match(await messageOf(() => launch(['--nproc-per-node', '1', '--bogus', 'job.js'])), /unknown option '--bogus'/);
    assert.deepEqual(calls, []);
  });

  it('selfsup train --nproc-per-node: one machine (--nnodes 1) needs no --master-addr, two do', async () => {
    const train = (args: string[]): Promise<unknown> => quietProgram().parseAsync(['node', 'selfsup', 'train', 'simclr', '--steps', '1',
      '--out', '/tmp/selfsup-launch-values', '--nproc-per-node', '2', ...args]);
    await train(['--nnodes', '1']);
    await train([]);
    assert.deepEqual(calls.map((c) => [c.nprocPerNode, c.nnodes]), [[2, 1], [2, undefined]]);
    assert.equal(await messageOf(() => train(['--nnodes', '2'])),
      '--nnodes > 1 needs --master-addr (the address of node 0, reachable from every machine)');
  });
});
