// Does one jigsaw tile, on its own, say where in the 3x3 grid it was cut?
// A small MLP (one hidden layer of 256) learns the grid position (9 classes,
// chance 11.1%) from the pixels of single tiles, cut and per-tile standardised
// as Jigsaw and DamagedJigsaw cut them (jigsawGeometry, gridOrigins,
// patchesAt, standardizeTiles; gray first for the damaged jigsaw), and is
// scored on tiles of held-out images. Where it finds the position, the
// permutation can be read from each tile's content; where it does not, only
// the relations between tiles (edges, continuation) solve the puzzle
// (docs/pretext.md, "Why the damaged jigsaw's permutation stays at chance").
// Not a test: about a minute of CPU.
//
//   node dist/scripts/tile-position-probe.js
import * as torch from '../lib/torch';
import { Tensor } from '../lib/torch';
import { Linear, ReLU, Sequential } from '../lib/nn';
import { crossEntropy } from '../lib/nn/functional/loss';
import { AdamW } from '../lib/optim/adamw';
import { fashionMnist } from '../lib/data/fashion-mnist';
import { photoCrops } from '../lib/data/photo-crops';
import { ImageDataset } from '../lib/data/dataset';
import { jigsawGeometry, standardizeTiles } from '../lib/ssl/jigsaw';
import { gridOrigins, patchesAt } from '../lib/ssl/pretext/grid-patches';

const IMAGES = 4000;
const STEPS = 300;

/** Standardised single tiles (9 n, C P P) of the first `n` images and their grid positions (9 n). */
function tiles(d: ImageDataset, n: number, tileSize: number | undefined, gray: boolean, seed: number): [Tensor, Tensor] {
  const generator = new torch.Generator().manualSeed(seed);
  const x = d.images.narrow(0, 0, n).to('float32').div(255); // (n, C, H, W)
  const [, C, H, W] = x.shape;
  const geometry = jigsawGeometry(H, tileSize);
  const cut = patchesAt(x, gridOrigins(n, H, W, geometry, generator), geometry.patchSize); // (n, 9, C, P, P)
  const luma = gray && C === 3 ? cut.mul(torch.tensor([0.2989, 0.587, 0.114]).view([1, 1, 3, 1, 1])).sum([2], true) : cut;
  const flat = standardizeTiles(luma).flatten(2).reshape([n * 9, -1]); // (9 n, C' P P)
  return [flat, torch.arange(9).repeat([n])];
}

/** Held-out accuracy of the MLP trained on 80% of the images' tiles. */
function probe(d: ImageDataset, tileSize: number | undefined, gray: boolean): number {
  return torch.scope(() => {
    torch.manualSeed(0);
    const [x, y] = tiles(d, IMAGES, tileSize, gray, 0);
    const train = Math.floor(0.8 * IMAGES) * 9;
    const mlp = new Sequential(new Linear(x.shape[1], 256), new ReLU(), new Linear(256, 9));
    const opt = new AdamW(mlp.parameters(), { lr: 1e-3, weightDecay: 0 });
    const g = new torch.Generator().manualSeed(1);
    for (let i = 0; i < STEPS; i++) {
      torch.scope(() => {
        const idx = torch.randint(0, train, [512], { generator: g });
        opt.zeroGrad();
        crossEntropy(mlp.forward(x.indexSelect(0, idx)), y.indexSelect(0, idx)).backward();
        opt.step();
      });
    }
    const heldX = x.narrow(0, train, x.shape[0] - train);
    const heldY = y.narrow(0, train, y.shape[0] - train);
    return torch.noGrad(() => mlp.forward(heldX).argmax(1).eq(heldY).to('float32').mean().item() as number);
  });
}

async function main(): Promise<void> {
  const fm = fashionMnist({ split: 'train' });
  const photos = await photoCrops({ split: 'train', size: 32 });
  const scenes = await photoCrops({ split: 'train', size: 32, scale: 1.5 });
  const rows: [string, ImageDataset, number | undefined, boolean][] = [
    ['Fashion-MNIST 28 px, 7 px tiles (the jigsaw preset)', fm, 7, false],
    ['photos 32 px, 9 px tiles, gray (the damaged jigsaw preset)', photos, undefined, true],
    ['photos 32 px, 9 px tiles, colour', photos, undefined, false],
    ['photos 32 px cut from two thirds of the height (scale 1.5), 9 px tiles, gray', scenes, undefined, true],
  ];
  for (const [name, d, tile, gray] of rows) {
    console.log(`${name}: single-tile position accuracy ${(100 * probe(d, tile, gray)).toFixed(1)}% (chance 11.1%)`);
  }
}

void main();
