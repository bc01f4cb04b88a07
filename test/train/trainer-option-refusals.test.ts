// The Trainer's options resolved before any work (resolveOptions): each bad
// value refused with a message naming the option and what was received, the
// edge that is still accepted, and what 'auto' and the omitted options
// resolve to (as TrainerOptions documents them). No training: a table, fast.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { makeDataset, disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { resolveOptions, TrainerOptions } from '../../lib/train/options';

/** Escapes `s` for a RegExp. */
const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('train: the Trainer\'s options are refused by name, and resolved as documented', () => {
  let data: ImageDataset;
  let unlabelled: ImageDataset;
  before(() => {
    data = makeDataset({ name: 'tiny', images: torch.zeros([4, 1, 4, 4], { dtype: 'uint8' }), labels: torch.zeros([4], { dtype: 'int64' }),
      mean: [0], std: [1] });
    unlabelled = makeDataset({ name: 'nolabels', images: torch.zeros([4, 1, 4, 4], { dtype: 'uint8' }), mean: [0], std: [1] });
  });
  after(() => {
    disposeDataset(data);
    disposeDataset(unlabelled);
  });
  const base = (extra: Record<string, unknown> = {}): TrainerOptions => ({ data, batchSize: 2, ...extra } as TrainerOptions);

  // [what, options, error class, exact message]
  const refusals: [string, () => unknown, typeof TypeError | typeof RangeError, string][] = [
    ['options null', () => null, TypeError, 'Expected an options object ({ data, epochs, ... }) for Trainer but received null'],
    ['options a number', () => 5, TypeError, 'Expected an options object ({ data, epochs, ... }) for Trainer but received 5'],
    ['data missing', () => ({ batchSize: 2 }), TypeError,
      'Expected an ImageDataset with uint8 (N, C, H, W) images for options.data but received undefined'],
    ['data null', () => ({ data: null }), TypeError,
      'Expected an ImageDataset with uint8 (N, C, H, W) images for options.data but received null'],
    ['data a string', () => ({ data: 'mnist' }), TypeError,
      'Expected an ImageDataset with uint8 (N, C, H, W) images for options.data but received mnist'],
    ['data without images', () => ({ data: { name: 'x' } }), TypeError,
      'Expected an ImageDataset with uint8 (N, C, H, W) images for options.data but received [object Object]'],
    ['images without dim()', () => ({ data: { name: 'x', images: [1, 2] } }), TypeError,
      'Expected an ImageDataset with uint8 (N, C, H, W) images for options.data but received [object Object]'],
    ['3-D images', () => ({ data: { ...data, images: torch.zeros([4, 4, 4]) } }), TypeError,
      'Expected an ImageDataset with uint8 (N, C, H, W) images for options.data but received [object Object]'],
    ['epochs and steps', () => base({ epochs: 2, steps: 3 }), RangeError,
      'Expected either epochs or steps for the Trainer but received both (epochs 2, steps 3)'],
    ['batchSize above the dataset', () => base({ batchSize: 5 }), RangeError,
      'batchSize 5 is larger than the dataset \'tiny\' (4 images): lower batchSize to at most 4'],
    ['batchSize 0 (named as given)', () => base({ batchSize: 0 }), RangeError, 'Expected positive integer for batchSize but received 0'],
    ['cudaGraph true on the CPU', () => base({ cudaGraph: true }), RangeError,
      'cudaGraph: true needs a CUDA device but device is \'cpu\': use cudaGraph \'auto\' or false ' +
      '(or \'rehearse\' to check the step\'s capturability without a GPU)'],
    ['channelsLast a string', () => base({ channelsLast: 'yes' }), TypeError,
      'Expected \'auto\', true or false for channelsLast but received "yes"'],
    ['cudaGraph a string', () => base({ cudaGraph: 'on' }), TypeError,
      'Expected \'auto\', true, false or \'rehearse\' for cudaGraph but received "on"'],
    ['out empty', () => base({ out: '' }), TypeError, 'Expected a folder path for out but received ""'],
    ['out a number', () => base({ out: 5 }), TypeError, 'Expected a folder path for out but received 5'],
    ['resume empty', () => base({ resume: '' }), TypeError, 'Expected a run folder or checkpoint path for resume but received ""'],
    ['config null', () => base({ config: null }), TypeError, 'Expected an object for config but received null'],
    ['config an array', () => base({ config: [1] }), TypeError, 'Expected an object for config but received [1]'],
    ['config a string', () => base({ config: 'x' }), TypeError, 'Expected an object for config but received "x"'],
    ['distributed null', () => base({ distributed: null }), TypeError,
      'Expected an object ({ syncBatchNorm, findUnusedParameters }) for distributed but received null'],
    ['distributed a boolean', () => base({ distributed: true }), TypeError,
      'Expected an object ({ syncBatchNorm, findUnusedParameters }) for distributed but received true'],
    ['distributed.syncBatchNorm a string', () => base({ distributed: { syncBatchNorm: 'no' } }), TypeError,
      'Expected true or false for distributed.syncBatchNorm but received "no"'],
    ['monitor without train', () => base({ monitor: { test: data } }), TypeError,
      'Expected a labelled ImageDataset for monitor.train (the k-NN monitor needs labels) but received undefined'],
    ['monitor.train unlabelled', () => base({ monitor: { train: unlabelled, test: data } }), TypeError,
      'Expected a labelled ImageDataset for monitor.train (the k-NN monitor needs labels) but received \'nolabels\' without labels'],
    ['monitor.test unlabelled', () => base({ monitor: { train: data, test: unlabelled } }), TypeError,
      'Expected a labelled ImageDataset for monitor.test (the k-NN monitor needs labels) but received \'nolabels\' without labels'],
    ['monitor.k 0', () => base({ monitor: { train: data, test: data, k: 0 } }), RangeError,
      'Expected positive integer for monitor.k but received 0'],
  ];
  for (const [what, options, type, message] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(() => resolveOptions(options() as TrainerOptions), (err: Error) => {
        assert.ok(err instanceof type, `expected a ${type.name} but got ${err.name}: ${err.message}`);
        assert.match(err.message, new RegExp(`^${literal(message)}$`));
        return true;
      });
    });
  }

  it('accepts the edges: a batch of the whole dataset, cudaGraph true on any CUDA device, given paths and config', () => {
    assert.equal(resolveOptions(base({ batchSize: 4 })).batchSize, 4);
    for (const device of ['cuda', 'cuda:1'] as const) assert.equal(resolveOptions(base({ device, cudaGraph: true })).cudaGraph, true);
    const o = resolveOptions(base({ out: 'runs/a', resume: 'runs/b', config: { dataset: 'x' }, channelsLast: false, cudaGraph: 'rehearse' }));
    assert.deepEqual([o.out, o.resume, o.config, o.channelsLast, o.cudaGraph], ['runs/a', 'runs/b', { dataset: 'x' }, false, 'rehearse']);
  });

  it('resolves run length, precision and progress from what was given', () => {
    // steps given: epochs follow from the loader, so none is kept; neither given: 10 epochs.
    assert.deepEqual([resolveOptions(base({ steps: 7 })).epochs, resolveOptions(base({ steps: 7 })).steps], [undefined, 7]);
    assert.deepEqual([resolveOptions(base()).epochs, resolveOptions(base()).steps], [10, undefined]);
    assert.equal(resolveOptions(base({ epochs: 3 })).epochs, 3);
    // precision 'auto': float32 on the CPU, bfloat16 autocast on CUDA; a given precision is kept on either.
    assert.equal(resolveOptions(base()).precision, 'float32');
    assert.equal(resolveOptions(base({ device: 'cuda' })).precision, 'bfloat16');
    assert.equal(resolveOptions(base({ device: 'cuda:1' })).precision, 'bfloat16');
    assert.equal(resolveOptions(base({ precision: 'bfloat16' })).precision, 'bfloat16');
    assert.equal(resolveOptions(base({ device: 'cuda', precision: 'float32' })).precision, 'float32');
    // progress 'auto': a bar on a TTY, plain lines elsewhere; a given mode is kept on either.
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true, isTTY: false };
    assert.equal(resolveOptions(base({ stream: tty })).progress, 'bar');
    assert.equal(resolveOptions(base({ stream: pipe })).progress, 'lines');
    assert.equal(resolveOptions(base({ stream: tty, progress: 'lines' })).progress, 'lines');
    assert.equal(resolveOptions(base({ stream: pipe, progress: 'none' })).progress, 'none');
    assert.equal(resolveOptions(base({ stream: tty })).stream, tty);
    assert.equal(resolveOptions(base()).stream, process.stderr);
  });

  it('resolves the data-parallel and monitor options with their documented defaults', () => {
    assert.deepEqual(resolveOptions(base()).distributed, { syncBatchNorm: true, findUnusedParameters: false });
    assert.deepEqual(resolveOptions(base({ distributed: { findUnusedParameters: true } })).distributed,
      { syncBatchNorm: true, findUnusedParameters: true });
    assert.equal(resolveOptions(base()).monitor, undefined);
    const m = resolveOptions(base({ monitor: { train: data, test: data, k: 3 } })).monitor!;
    assert.equal(m.train, data);
    assert.equal(m.test, data);
    assert.deepEqual({ everyEpochs: m.everyEpochs, trainSubset: m.trainSubset, testSubset: m.testSubset, k: m.k },
      { everyEpochs: 1, trainSubset: 10000, testSubset: 2000, k: 3 });
  });
});
