// A first training run on the core alone: a two-layer MLP on Fashion-MNIST
// with autograd and plain SGD, each step inside a memory scope.
//
//   node dist/examples/fashion-mnist-mlp.js [epochs=2] [dataDir]
//
// The data comes from Debian's dataset-fashion-mnist package.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { torch } from '../lib';

const epochs = Number(process.argv[2] ?? 2);
const dataDir = process.argv[3] ?? '/usr/share/datasets/fashion-mnist';

/** Reads an IDX file (gzip or plain) as its dimensions and bytes. */
function readIdx(file: string): { dims: number[]; bytes: Uint8Array } {
  let buf = fs.readFileSync(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  const ndim = buf[3];
  const dims = Array.from({ length: ndim }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  return { dims, bytes: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * ndim, count) };
}

function load(split: 'train' | 't10k'): { x: torch.Tensor; y: torch.Tensor } {
  return torch.scope(() => loadUnscoped(split));
}

function loadUnscoped(split: 'train' | 't10k'): { x: torch.Tensor; y: torch.Tensor } {
  const images = readIdx(path.join(dataDir, `${split}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(dataDir, `${split}-labels-idx1-ubyte.gz`));
  const n = images.dims[0];
  const x = torch.tensor(images.bytes, { shape: [n, 28 * 28] }).float().div(255).sub(0.286).div(0.353);
  const y = torch.tensor(labels.bytes, { shape: [n] }).long();
  return { x, y };
}

const t0 = Date.now();
torch.manualSeed(0);
const train = load('train');
const test = load('t10k');

// Kaiming-uniform-like initialisation, as nn.Linear does.
const init = (fanIn: number, shape: number[]) =>
  torch.scope(() => torch.rand(shape).mul(2).sub(1).mul(1 / Math.sqrt(fanIn)).requiresGrad_());
const w1 = init(784, [784, 256]);
const b1 = init(784, [256]);
const w2 = init(256, [256, 10]);
const b2 = init(256, [10]);
const params = [w1, b1, w2, b2];
const forward = (x: torch.Tensor) => x.matmul(w1).add(b1).relu().matmul(w2).add(b2);

const batch = 128;
const lr = 0.1;
const n = train.x.shape[0];
for (let epoch = 0; epoch < epochs; epoch++) {
  const order = torch.randperm(n);
  let seen = 0;
  let lossSum = 0;
  for (let start = 0; start + batch <= n; start += batch) {
    lossSum += torch.scope(() => {
      const idx = order.slice(0, start, start + batch);
      const logits = forward(train.x.indexSelect(0, idx));
      const loss = logits.logSoftmax(1).gather(1, train.y.indexSelect(0, idx).unsqueeze(1)).neg().mean();
      loss.backward();
      torch.noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!.mul(lr));
          p.grad = undefined;
        }
      });
      return loss.item() as number;
    });
    seen += 1;
  }
  order.dispose();
  const accuracy = torch.noGrad(() => torch.scope(() =>
    forward(test.x).argmax(1).eq(test.y).float().mean().item() as number));
  console.log(`epoch ${epoch + 1}: train loss ${(lossSum / seen).toFixed(4)}, test accuracy ` +
    `${(accuracy * 100).toFixed(2)}%, live tensors ${torch.memory().tensors}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
