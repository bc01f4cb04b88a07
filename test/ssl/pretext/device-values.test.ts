// lib/ssl/pretext on CUDA, by value (skipped without a GPU): each function
// given CUDA inputs (or a CUDA device) answers on that device, with the CPU
// answer from the same seeded draws. On a CPU-only machine a dropped device
// argument changes nothing, so these are the tests that catch one: 18 of the
// 19 device mutants left by the CPU runs (docs/mutation/lib-ssl-pretext.md).
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Module } from '../../../lib/nn/module';
import { Encoder } from '../../../lib/models/encoder';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset } from '../../../lib/data/dataset';
import { DamagedJigsaw } from '../../../lib/ssl/damaged-jigsaw';
import { abBins, binCounts, nearestBin, softEncode } from '../../../lib/ssl/pretext/ab-bins';
import { gridPatches } from '../../../lib/ssl/pretext/grid-patches';
import { blockHoles, centerHole, regionHoles } from '../../../lib/ssl/pretext/inpainting-masks';
import { LabEncoder } from '../../../lib/ssl/pretext/lab-encoder';
import { evaluateTask } from '../../../lib/ssl/pretext/task-metrics';
import { assertAllClose } from '../../data/transforms/reference';

const DEVICE: torch.Device = 'cuda';
const DEVICE_NAME = 'cuda:0';
const gen = (seed: number): torch.Generator => new torch.Generator().manualSeed(seed);
const on = (t: Tensor, what: string): void => assert.equal(t.device, DEVICE_NAME, `${what} on ${DEVICE_NAME}`);

/** A map encoder on any device: its map is its input's channel mean, broadcast to 2 channels. */
class MeanNet extends Module {
  readonly featureDim = 2;
  readonly numClasses = 0;
  forwardFeatures(x: Tensor): Tensor {
    return x.mean([1], true).expand([x.shape[0], 2, x.shape[2], x.shape[3]]);
  }
  forward(x: Tensor): Tensor {
    return this.forwardFeatures(x).mean([2, 3]);
  }
}

describe('ssl/pretext: on CUDA, by value', function () {
  this.timeout(120000);
  before(function () { if (!torch.cuda.isAvailable()) this.skip(); });

  it('ab bins: the bins, soft encoding, nearest bins and counts on the inputs\' device, equal to the CPU\'s', () => {
    const ab = torch.rand([2, 2, 3, 4], { generator: gen(1) }).mul(120).sub(60);
    const bins = abBins(DEVICE);
    on(bins, 'abBins');
    assertAllClose(bins.cpu(), abBins(), 0, 'abBins');
    const z = softEncode(ab.to(DEVICE));
    on(z, 'softEncode');
    assertAllClose(z.cpu(), softEncode(ab), 1e-5, 'softEncode');
    const q = nearestBin(ab.to(DEVICE));
    on(q, 'nearestBin');
    assert.ok(q.cpu().equal(nearestBin(ab)), 'nearestBin');
    const counts = binCounts(ab.to(DEVICE));
    on(counts, 'binCounts');
    assert.ok(counts.cpu().equal(binCounts(ab)), 'binCounts');
  });

  it('grid patches: origins and patches on the images\' device, the CPU ones from the same generator', () => {
    const x = torch.arange(2 * 3 * 30 * 30).view([2, 3, 30, 30]).to('float32');
    const geometry = { patchSize: 6, gap: 2, jitter: 1 };
    const cuda = gridPatches(x.to(DEVICE), geometry, gen(3));
    const cpu = gridPatches(x, geometry, gen(3));
    on(cuda.origins, 'origins');
    on(cuda.patches, 'patches');
    assert.ok(cuda.origins.cpu().equal(cpu.origins), 'origins');
    assert.ok(cuda.patches.cpu().equal(cpu.patches), 'patches');
  });

  it('inpainting masks: centre, blocks and regions on the given device, the CPU masks from the same generator', () => {
    const centre = centerHole(2, 12, 20, 1, DEVICE);
    on(centre, 'centerHole');
    assert.ok(centre.cpu().equal(centerHole(2, 12, 20, 1)), 'centerHole');
    const blocks = blockHoles(3, 12, 20, gen(4), DEVICE);
    on(blocks, 'blockHoles');
    assert.ok(blocks.cpu().equal(blockHoles(3, 12, 20, gen(4))), 'blockHoles');
    const regions = regionHoles(3, 12, 20, gen(5), DEVICE);
    on(regions, 'regionHoles');
    // The bilinear upsampling may round differently on the GPU: compare the holes' sizes and most pixels.
    assert.deepEqual(regions.flatten(1).sum([1]).cpu().toArray(), [60, 60, 60]);
    const same = regions.cpu().eq(regionHoles(3, 12, 20, gen(5))).to('float32').mean().item() as number;
    assert.ok(same > 0.97, `${same} of the region pixels agree with the CPU's`);
  });

  it('LabEncoder.setNormalisation writes into buffers on the encoder\'s device', () => {
    const enc = new LabEncoder([{ name: 'net', channels: 'L', net: new MeanNet() as unknown as Encoder }], 'Colorization');
    enc.to(DEVICE);
    enc.setNormalisation([0.2, 0.5, 0.7], [0.5, 0.25, 0.1]);
    on(enc.rgbMean, 'rgb_mean');
    on(enc.rgbStd, 'rgb_std');
    assertAllClose(enc.rgbMean.cpu().flatten(), torch.tensor([0.2, 0.5, 0.7]), 1e-7, 'rgb_mean');
    assertAllClose(enc.rgbStd.cpu().flatten(), torch.tensor([0.5, 0.25, 0.1]), 1e-7, 'rgb_std');
  });

  it('task metrics: a damaged jigsaw evaluated on CUDA gives the same numbers for the same global seed', () => {
    const data = synthetic({ n: 6, channels: 3, size: 32, classes: 2, seed: 3 });
    try {
      torch.manualSeed(0);
      const m = new DamagedJigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 4 }, hiddenDim: 8,
        colorizationHiddenDim: 8, numPermutations: 5 });
      m.to(DEVICE);
      // On CUDA the tasks are drawn from the global generator (the seed option is for the CPU).
      const run = (): number[] => {
        torch.manualSeed(11);
        return evaluateTask(m, data, { mean: data.mean, std: data.std, batchSize: 4 }).metrics.flatMap((x) => [x.value, x.floor]);
      };
      const a = run();
      assert.equal(a.length, 6);
      assert.ok(a.every((v) => Number.isFinite(v)), `finite: ${a}`);
      const b = run();
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-6 * Math.max(1, Math.abs(v)), `number ${i}: ${v} then ${b[i]}`));
    } finally {
      disposeDataset(data);
    }
  });
});
