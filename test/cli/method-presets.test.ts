// `selfsup train <method>` for BYOL, DINO, MAE, SimSiam, Barlow Twins,
// VICReg, MoCo v2/v3, SwAV and DeepCluster v2: the CPU preset reaches the run config and the
// method built from it (and stays off on a GPU), and DeepCluster v2 trains
// through the command line's path (its bank sized from the data, the batch's
// indices from the Trainer).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildMethod, resolveRunConfig, runTrain } from '../../lib/cli/train';
import { CPU_PRESETS } from '../../lib/cli/cpu-presets';
import { MethodName } from '../../lib/ssl/method';
import { COLOUR_METHODS } from '../../lib/cli/method-data';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset } from '../../lib/data/dataset';
import { VisionTransformer } from '../../lib/models/vit';

const PRETEXT: MethodName[] = ['rotation', 'jigsaw', 'relative_position', 'context_encoder', 'damaged_jigsaw', 'colorization',
  'split_brain', 'deoldify'];
const METHODS: MethodName[] = ['byol', 'dino', 'mae', 'simsiam', 'barlow_twins', 'vicreg', 'mocov2', 'mocov3', 'swav', 'deepclusterv2'];

describe('cli: CPU presets of the methods', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-presets-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of METHODS) {
    it(`${name}: the preset reaches the config and the method; --method-options and GPU runs override it`, () => {
      const preset = CPU_PRESETS[name]!;
      const c = resolveRunConfig(name, { eval: true, out: path.join(dir, name) });
      assert.equal(c.method, name);
      const vit = name === 'mae';
      assert.equal(c.encoder, vit ? 'vit_custom' : 'small_cnn');
      assert.equal(c.epochs, preset.epochs);
      assert.equal(c.batchSize, preset.batchSize);
      assert.deepEqual(c.methodOptions, preset.methodOptions);
      assert.deepEqual(c.optimizer, preset.optimizer);
      const { method, encoder } = buildMethod(c, [1000, 1, 28, 28]);
      const config = method.config();
      for (const [k, v] of Object.entries(preset.methodOptions)) assert.deepEqual(config[k], v, `${name} option ${k}`);
      assert.deepEqual(config.encoderOptions, vit ? { inChannels: 1, imgSize: 28, ...preset.encoderOptions, numClasses: 0 }
        : { inChannels: 1, width: 16, pool: 3, numClasses: 0 });
      if (vit) {
        // The evaluated read-out (the 2x2 grid of normed patch tokens) reaches the trained encoder and the random-encoder floor.
        const random = encoder();
        try {
          for (const e of [method.encoder, random]) {
            const v = e as VisionTransformer;
            assert.ok(v instanceof VisionTransformer);
            assert.deepEqual([v.globalPool, v.poolGrid, v.featureDim, v.patchEmbed.numPatches, v.blocks.length], ['grid', 2, 512, 16, 4]);
          }
        } finally {
          random.dispose();
        }
      }
      method.dispose();
      if (name === 'deepclusterv2') assert.equal(config.datasetSize, 1000);
      const override = resolveRunConfig(name, { eval: true, out: path.join(dir, name), methodOptions: { outDim: 64 } });
      assert.equal(override.methodOptions.outDim, 64);
      const gpu = resolveRunConfig(name, { eval: true, out: path.join(dir, name), device: 'cuda' });
      assert.deepEqual(gpu.methodOptions, {});
      assert.equal(gpu.encoder, name === 'dino' || name === 'mae' ? 'vit_tiny_patch4_224' : 'resnet18');
    });
  }

  for (const name of PRETEXT) {
    it(`${name}: the preset and the method's default data reach the config and the method; flags and GPU runs override them`, () => {
      const preset = CPU_PRESETS[name]!;
      const colour = COLOUR_METHODS.includes(name);
      const c = resolveRunConfig(name, { eval: true, out: path.join(dir, name) });
      assert.equal(c.data, colour ? 'photos' : 'fashion-mnist');
      assert.equal(c.imageSize, colour ? 32 : 64);
      assert.equal(c.encoder, 'small_cnn');
      assert.equal(c.epochs, preset.epochs);
      assert.equal(c.batchSize, preset.batchSize);
      assert.deepEqual(c.encoderOptions, preset.encoderOptions);
      assert.deepEqual(c.methodOptions, preset.methodOptions);
      assert.deepEqual(c.optimizer, preset.optimizer);
      const { method } = buildMethod(c, colour ? [1000, 3, 32, 32] : [1000, 1, 28, 28]);
      try {
        const config = method.config();
        for (const [k, v] of Object.entries(preset.methodOptions)) assert.deepEqual(config[k], v, `${name} option ${k}`);
        assert.equal((config.encoderOptions as { width: number }).width, preset.encoderOptions.width);
      } finally {
        method.dispose();
      }
      assert.equal(resolveRunConfig(name, { eval: true, out: dir, data: 'fashion-mnist' }).data, 'fashion-mnist');
      assert.equal(resolveRunConfig(name, { eval: true, out: dir, imageSize: 48 }).imageSize, 48);
      // On a GPU the preset is off, the data default is not: a colour method still gets colour images.
      const gpu = resolveRunConfig(name, { eval: true, out: dir, device: 'cuda' });
      assert.deepEqual([gpu.data, gpu.imageSize, gpu.methodOptions], [colour ? 'photos' : 'fashion-mnist', 64, {}]);
    });
  }

  it('the colour methods\' default data loads at the preset\'s size and trains through runTrain (no grey-data error)', async () => {
    const c = resolveRunConfig('colorization', { eval: false, steps: 1, batchSize: 8, knnEvery: 0, out: path.join(dir, 'col'),
      encoderOptions: { width: 4 }, methodOptions: { hiddenDim: 8 } });
    const train = await loadDataSplit(parseDataSpec(c.data), 'train', c.imageSize);
    assert.deepEqual(train!.images.shape.slice(1), [3, 32, 32]);
    disposeDataset(train!);
    const lines: string[] = [];
    const run = await runTrain(c, { progress: 'none', stream: { write: (t: string) => lines.push(t) > 0 }, print: () => undefined });
    assert.equal(run.result.steps, 1);
    assert.match(lines.join(''), /Training colorization .* on photos/);
  });

  it('deepclusterv2 trains on the synthetic data through runTrain (bank sized from the data, indices from the Trainer)', async () => {
    const c = resolveRunConfig('deepclusterv2', { eval: false, data: 'synthetic', steps: 3, batchSize: 32, knnEvery: 0,
      out: path.join(dir, 'dc'), encoderOptions: { width: 4 },
      methodOptions: { hiddenDim: 16, outDim: 8, numPrototypes: [8, 8], localCrops: 2 } });
    const run = await runTrain(c, { progress: 'none', stream: { write: () => true }, print: () => undefined });
    assert.equal(run.result.steps, 3);
    assert.ok(run.result.loss !== null && Number.isFinite(run.result.loss));
  });
});
