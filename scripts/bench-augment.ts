// Throughput of the batched augmentations: images per second of the SimCLR
// CIFAR recipe (two views) and of its parts, on batches of 256 32x32 RGB
// images, on the CPU and on CUDA when there is one. Not a test: run it by hand.
//
//   node dist/scripts/bench-augment.js [batch=256] [seconds=3] [threads=1]
//
// scripts/bench_augment.py times torchvision's per-image pipeline on the same
// images for comparison. Next to the recipe, the same script times the
// training step the recipe feeds: ResNet-18 (small-image stem) + a 512-2048-128
// projector + NT-Xent on both views, backward and SGD. The target is
// augmentation at least 10x faster than that step on the GPU, so the input
// pipeline is never the bottleneck.
import * as torch from '../lib/torch';
import { Device } from '../lib/torch/dtype';
import * as models from '../lib/models';
import { Linear, ReLU, Sequential, BatchNorm1d, functional as F } from '../lib/nn';
import { SGD } from '../lib/optim';
import {
  ColorJitter, GaussianBlur, RandomGrayscale, RandomHorizontalFlip, RandomResizedCrop, Transform, recipes,
} from '../lib/data/transforms';

const batch = Number(process.argv[2] ?? 256);
const seconds = Number(process.argv[3] ?? 3);
torch.setNumThreads(Number(process.argv[4] ?? 1));

/** Images per second of `fn` on one batch, run for about `seconds` after a warm-up. */
function rate(fn: () => void, device: Device, imagesPerCall: number): number {
  const sync = (): void => { if (device !== 'cpu') torch.cuda.synchronize(); };
  for (let i = 0; i < 3; i++) torch.scope(fn);
  sync();
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    torch.scope(fn);
    calls++;
    if (calls % 5 === 0) sync();
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  sync();
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return (calls * imagesPerCall) / elapsed;
}

/**
 * NT-Xent over 2B embeddings (SimCLR's loss, temperature 0.5) written out
 * here so the benchmark does not depend on the methods layer.
 */
function ntXent(z1: torch.Tensor, z2: torch.Tensor, temperature = 0.5): torch.Tensor {
  const z = F.normalize(torch.cat([z1, z2], 0), { dim: 1 }); // (2B, D)
  const n = z.shape[0];
  const sim = z.matmul(z.t()).div(temperature); // (2B, 2B)
  const self = torch.eye(n, { dtype: 'bool', device: z.device });
  const logits = sim.maskedFill(self, -1e9);
  const half = n / 2;
  const targets = torch.arange(n, { device: z.device }).add(half).remainder(n); // the other view of each image
  return F.crossEntropy(logits, targets);
}

/** Source images per second of one SimCLR training step (two views of each image). */
function stepRate(encoderName: 'resnet18' | 'small_cnn', device: Device, size: number, channels: number): number {
  torch.manualSeed(0);
  const encoder = encoderName === 'resnet18'
    ? models.resnet18({ numClasses: 0, smallImages: true, inChannels: channels })
    : models.create('small_cnn', { inChannels: channels });
  const dim = encoder.featureDim;
  const projector = new Sequential(new Linear(dim, 2048, { bias: false }), new BatchNorm1d(2048), new ReLU(),
    new Linear(2048, 128));
  encoder.to(device);
  projector.to(device);
  const opt = new SGD([...encoder.parameters(), ...projector.parameters()], { lr: 0.1, momentum: 0.9 });
  const v1 = torch.keep(torch.rand([batch, channels, size, size]).to(device));
  const v2 = torch.keep(torch.rand([batch, channels, size, size]).to(device));
  const r = rate(() => {
    const loss = ntXent(projector.forward(encoder.forward(v1)), projector.forward(encoder.forward(v2)));
    opt.zeroGrad();
    loss.backward();
    opt.step();
  }, device, batch);
  encoder.dispose();
  projector.dispose();
  v1.dispose();
  v2.dispose();
  return r;
}

function bench(device: Device): void {
  const g = new torch.Generator().manualSeed(0);
  const x = torch.rand([batch, 3, 32, 32], { generator: g }).to(device);
  const parts: [string, Transform][] = [
    ['random resized crop 32', new RandomResizedCrop({ size: 32 })],
    ['horizontal flip', new RandomHorizontalFlip()],
    ['colour jitter (p = 0.8)', new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 })],
    ['colour jitter, order per image', new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8,
      order: 'sample' })],
    ['grayscale (p = 0.2)', new RandomGrayscale({ p: 0.2 })],
    ['gaussian blur k=3 (p = 0.5)', new GaussianBlur({ kernelSize: 3, p: 0.5 })],
  ];
  console.log(`\n${device}, batch ${batch} x 3 x 32 x 32, ${torch.getNumThreads()} thread(s):`);
  for (const [name, t] of parts) {
    console.log(`  ${name.padEnd(30)} ${rate(() => { t.forward(x, g); }, device, batch).toFixed(0).padStart(9)} images/s`);
  }
  const simclr = recipes.simclr({ size: 32, mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] });
  const r = rate(() => { simclr.forward(x, g); }, device, batch);
  console.log(`  ${'SimCLR CIFAR recipe (2 views)'.padEnd(30)} ${r.toFixed(0).padStart(9)} source images/s ` +
    `(${(2 * r).toFixed(0)} views/s)`);
  const step = stepRate('resnet18', device, 32, 3);
  console.log(`  ${'ResNet-18 SimCLR step'.padEnd(30)} ${step.toFixed(0).padStart(9)} source images/s: ` +
    `augmentation is ${(r / step).toFixed(1)}x faster than the step it feeds`);
  const gray = torch.rand([batch, 1, 28, 28], { generator: g }).to(device);
  const small = recipes.simclr({ size: 28, mean: [0.286], std: [0.353] });
  const rs = rate(() => { small.forward(gray, g); }, device, batch);
  const stepSmall = stepRate('small_cnn', device, 28, 1);
  console.log(`  ${'SimCLR recipe, 28 px gray'.padEnd(30)} ${rs.toFixed(0).padStart(9)} source images/s`);
  console.log(`  ${'small_cnn SimCLR step, 28 px'.padEnd(30)} ${stepSmall.toFixed(0).padStart(9)} source images/s: ` +
    `augmentation is ${(rs / stepSmall).toFixed(1)}x faster`);
}

bench('cpu');
if (torch.cuda.isAvailable()) bench('cuda');
else console.log('\nCUDA: not available on this machine');
