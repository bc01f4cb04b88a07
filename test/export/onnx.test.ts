import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Module, Sequential, Linear, Tanh } from '../../lib/nn';
import { create } from '../../lib/models/registry';
import { ResNet } from '../../lib/models/resnet';
import { bottleneck } from '../../lib/models/resnet-blocks';
import { VisionTransformer } from '../../lib/models/vit';
import { SmallCnn } from '../../lib/models/small-cnn';
import { fashionMnist } from '../../lib/data/fashion-mnist';
import { disposeDataset } from '../../lib/data/dataset';
import { exportOnnx } from '../../lib/export/onnx/export';
import { PYTHON } from '../helpers/python-reference';
import { program } from '../../lib/cli/main';
import { makeSyntheticRun } from './synthetic-run';

type Encoder = Module & { forward(x: Tensor): Tensor };

/** Largest |onnx - selfsup| relative to the largest |selfsup|. */
async function compare(file: string, encoder: Encoder, x: Tensor): Promise<number> {
  const session = await ort.InferenceSession.create(file);
  const input = new ort.Tensor('float32', x.contiguous().toTypedArray() as Float32Array, [...x.shape]);
  const result = await session.run({ input });
  const got = result[session.outputNames[0]];
  const want = torch.noGrad(() => encoder.forward(x));
  assert.deepEqual([...got.dims], want.shape);
  const a = got.data as Float32Array;
  const b = want.toTypedArray() as Float32Array;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  await session.release();
  return diff / scale;
}

/** Runs onnx.checker.check_model(full_check=True) in Debian's python3-onnx; returns its message or 'ok'. */
function check(file: string): string {
  try {
    return execFileSync(PYTHON, ['-c', 'import onnx, sys\nm = onnx.load(sys.argv[1])\n' +
      'onnx.checker.check_model(m, full_check=True)\nprint("ok", m.opset_import[0].version, ' +
      'm.graph.input[0].type.tensor_type.shape.dim[0].dim_param)', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}

describe('export: ONNX', function () {
  this.timeout(300000);
  let dir: string;
  let images: Tensor;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-onnx-'));
    const test = fashionMnist({ split: 'test' });
    images = test.images.narrow(0, 0, 7).to('float32').div(255); // (7, 1, 28, 28) real images in [0, 1]
    disposeDataset(test);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: { name: string; build: () => Encoder; input: (b: number) => Tensor; tol: number }[] = [
    { name: 'small_cnn', build: () => create('small_cnn', { inChannels: 1, width: 8 }), input: (b) => images.narrow(0, 0, b), tol: 1e-4 },
    { name: 'small_cnn pool 2 (the main job\'s encoder: overlapping 7 -> 2 cells)', build: () => create('small_cnn', { inChannels: 1, width: 8, pool: 2 }),
      input: (b) => images.narrow(0, 0, b), tol: 1e-4 },
    { name: 'small_cnn pool 3 on 40x24 images, classifier', build: () => create('small_cnn', { inChannels: 3, width: 4, pool: 3, numClasses: 5 }),
      input: (b) => torch.randn([b, 3, 40, 24]), tol: 1e-4 },
    { name: 'resnet18 (small-image stem)', build: () => create('resnet18', { inChannels: 1, smallImages: true, numClasses: 0 }),
      input: (b) => images.narrow(0, 0, b), tol: 1e-4 },
    { name: 'resnet18 pool 2 (the GPU recipe\'s encoder, 2x2 grid of the 4x4 map)', build: () => create('resnet18', { inChannels: 1, smallImages: true, numClasses: 0, pool: 2 }),
      input: (b) => images.narrow(0, 0, b), tol: 1e-4 },
    { name: 'ResNet bottleneck [1,1,1,1] (7x7 stem, max-pool, classifier)', build: () => new ResNet(bottleneck, [1, 1, 1, 1], { numClasses: 10 }),
      input: (b) => torch.randn([b, 3, 64, 64]), tol: 1e-4 },
    { name: 'vit_tiny_patch4_224 at 28 px (class token)', build: () => create('vit_tiny_patch4_224', { imgSize: 28, inChannels: 1, numClasses: 0 }),
      input: (b) => images.narrow(0, 0, b), tol: 1e-4 },
    { name: 'ViT with avg pooling, tanh GELU-free head, resampled position embedding',
      build: () => new VisionTransformer({ imgSize: 32, patchSize: 8, inChannels: 3, embedDim: 48, depth: 2, numHeads: 4, globalPool: 'avg', numClasses: 5 }),
      input: (b) => torch.randn([b, 3, 48, 40]), tol: 1e-4 },
    { name: 'vit_custom grid pooling (MAE\'s CPU preset: 7 px patches, 4x4 tokens to 2x2 cells) on 35x28 images, classifier',
      build: () => create('vit_custom', { imgSize: 28, patchSize: 7, inChannels: 1, embedDim: 32, depth: 2, numHeads: 4,
        globalPool: 'grid', poolGrid: 2, numClasses: 5 }),
      input: (b) => torch.randn([b, 1, 35, 28]), tol: 1e-4 },
  ];

  for (const c of cases) {
    it(`${c.name}: ONNX Runtime matches selfsup at batch 1 and 7; the ONNX checker accepts the file`, async () => {
      torch.manualSeed(1);
      const enc = c.build();
      // Non-trivial batch-norm statistics, as after training.
      for (const [name, b] of enc.namedBuffers()) {
        if (name.endsWith('running_mean')) b.copy_(torch.randn(b.shape).mul(0.1));
        if (name.endsWith('running_var')) b.copy_(torch.rand(b.shape).add(0.5));
      }
      enc.eval();
      const file = path.join(dir, `${c.name.split(' ')[0]}.onnx`);
      const info = exportOnnx(enc, c.input(1), file);
      assert.equal(info.inputShape[0], 'batch');
      const errors: string[] = [];
      for (const b of [1, 7]) {
        const err = await compare(file, enc, c.input(b));
        assert.ok(err <= c.tol, `${c.name} batch ${b}: relative error ${err}`);
        errors.push(err.toExponential(1));
      }
      assert.match(check(file), /^ok 17 batch$/);
      console.log(`      max relative error batch 1 / 7: ${errors.join(" / ")}, ${info.nodes} nodes, ${(info.bytes / 1e6).toFixed(1)} MB`);
    });
  }

  it('refuses a layer without a converter, naming the module and its class', () => {
    const net = new Sequential<Encoder>(new SmallCnn({ inChannels: 1, width: 2 }) as Encoder, new Linear(8, 4) as Encoder,
      new Tanh() as Encoder);
    assert.throws(() => exportOnnx(net, torch.zeros([1, 1, 8, 8]), path.join(dir, 'x.onnx')),
      /no converter for module '2' \(Tanh\); the exporter writes .*Conv2d/);
    assert.equal(fs.existsSync(path.join(dir, 'x.onnx')), false);
    assert.throws(() => exportOnnx(new SmallCnn(), torch.zeros([3, 28, 28]), path.join(dir, 'y.onnx')), /shape \(B, C, H, W\)/);
  });
});

describe('cli: selfsup export --onnx', function () {
  this.timeout(120000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-export-cli-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exports a run folder\'s encoder with the run\'s image shape; ONNX Runtime gives its features', async () => {
    const run = path.join(dir, 'run');
    const encoder = makeSyntheticRun(run);
    const file = path.join(dir, 'enc.onnx');
    await program().exitOverride().parseAsync(['export', run, '--onnx', file], { from: 'user' });
    encoder.eval();
    torch.manualSeed(2);
    const err = await compare(file, encoder, torch.randn([7, 1, 16, 16]));
    assert.ok(err <= 1e-4, `relative error ${err}`);
    await assert.rejects(program().exitOverride().parseAsync(['export', run, '--onnx', file, '--shape', '1,16'], { from: 'user' }),
      /Expected C,H,W/);
  });
});
