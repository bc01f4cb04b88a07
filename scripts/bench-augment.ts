// Throughput of the batched augmentations: images per second of the SimCLR
// CIFAR recipe (two views) and of its parts, on batches of 256 32x32 RGB
// images, on the CPU and on CUDA when there is one. Not a test: run it by hand.
//
//   node dist/scripts/bench-augment.js [batch=256] [seconds=3] [threads=1]
//
// scripts/bench_augment.py times torchvision's per-image pipeline on the same
// images for comparison.
import * as torch from '../lib/torch';
import { Device } from '../lib/torch/dtype';
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
}

bench('cpu');
if (torch.cuda.isAvailable()) bench('cuda');
else console.log('\nCUDA: not available on this machine');
console.log('\nNo ResNet-18 training step to compare with: lib/models has no encoder yet.');
