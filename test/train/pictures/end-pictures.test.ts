import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../../lib/torch';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset, ImageDataset } from '../../../lib/data/dataset';
import { VisionTransformer } from '../../../lib/models/vit';
import { SmallCnn } from '../../../lib/models/small-cnn';
import { SimCLR } from '../../../lib/ssl/simclr';
import { MAE } from '../../../lib/ssl/mae';
import { DINO } from '../../../lib/ssl/dino';
import { writeEndPictures } from '../../../lib/train/pictures/end-pictures';
import { clsAttention } from '../../../lib/train/pictures/attention-maps';
import { resolveRunConfig, runTrain } from '../../../lib/cli/train';
import { summarizeRun } from '../../../lib/dashboard/run-reader';
import { Jigsaw } from '../../../lib/ssl/jigsaw';
import { Colorization } from '../../../lib/ssl/colorization';
import { taskColumns } from '../../../lib/train/pictures/task-columns';
import { toFloatImages } from '../../../lib/data/transforms/normalize';

/** A PNG written with integer magnification `scale`, back at scale 1: (H, W, C) uint8 as a tensor. */
async function unscaled(file: string, scale: number): Promise<torch.Tensor> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const img = torch.tensor(Uint8Array.from(data), { shape: [info.height, info.width, info.channels] });
  return img.view([info.height / scale, scale, info.width / scale, scale, info.channels]).select(3, 0).select(1, 0);
}

/** Column `col` of row `row` of a grid (padding 2) whose cells are cellH x cellW, for an image of h x w: (C, h, w) in [0, 1]. */
function gridCell(img: torch.Tensor, row: number, col: number, h: number, w: number, cellH: number, cellW: number): torch.Tensor {
  const top = 2 + row * (cellH + 2) + Math.floor((cellH - h) / 2);
  const left = 2 + col * (cellW + 2) + Math.floor((cellW - w) / 2);
  return img.narrow(0, top, h).narrow(1, left, w).permute([2, 0, 1]).to('float32').div(255);
}

const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 2, numHeads: 2, numClasses: 0, inChannels: 1 });
const size = async (file: string): Promise<[number, number]> => {
  const m = await sharp(file).metadata();
  return [m.width as number, m.height as number];
};
/** A grid of `cols` x `rows` 16 px cells with 2 px padding, magnified by `scale` (lib/data/image-grid.ts). */
const grid = (cols: number, rows: number, scale: number): [number, number] => [(cols * 18 + 2) * scale, (rows * 18 + 2) * scale];

describe('train: the pictures written at the end of training', function () {
  this.timeout(120000);
  let dir: string;
  let test: ImageDataset;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-pictures-'));
    test = synthetic({ n: 120, channels: 1, size: 16, classes: 4, seed: 1 });
  });
  after(() => {
    disposeDataset(test);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const simclr = (seed: number): SimCLR => {
    torch.manualSeed(seed);
    return new SimCLR({ encoder: new SmallCnn({ inChannels: 1, width: 4 }), hiddenDim: 16, outDim: 8 });
  };

  it('retrieval grid and embedding map: expected sizes, the same for the same encoder, different for another', async () => {
    const files: Record<string, Buffer[]> = { retrieval: [], embeddingMap: [] };
    for (const [i, seed] of [[0, 1], [1, 1], [2, 2]]) {
      const out = path.join(dir, `simclr-${i}`);
      fs.mkdirSync(out);
      const p = await writeEndPictures(out, simclr(seed), test, { maxImages: 60, queries: 4, neighbors: 5 });
      assert.deepEqual(await size(p.retrieval), grid(6, 4, 3)); // query + 5 neighbours, 4 queries, 16 px cells x3
      const [w, h] = await size(p.embeddingMap);
      assert.equal(h, 40 + 520 + 16);
      assert.ok(w > 16 + 520 + 40, `map width ${w}`);
      assert.equal(p.reconstruction, undefined);
      assert.equal(p.attention, undefined);
      files.retrieval.push(fs.readFileSync(p.retrieval));
      files.embeddingMap.push(fs.readFileSync(p.embeddingMap));
    }
    for (const f of Object.values(files)) {
      assert.ok(f[0].equals(f[1]), 'the same encoder and seed draw the same picture');
      assert.ok(!f[0].equals(f[2]), 'another encoder draws another picture');
    }
  });

  it('MAE runs add reconstruction.png, DINO runs with a ViT attention.png (one column per head)', async () => {
    torch.manualSeed(0);
    const mae = new MAE({ encoder: tinyVit(), decoderDim: 32, decoderDepth: 1, decoderHeads: 4 });
    const m = await writeEndPictures(path.join(dir), mae, test, { maxImages: 40 });
    assert.deepEqual(await size(m.reconstruction as string), grid(3, 8, 4)); // original | masked | reconstruction
    const dino = new DINO({ encoder: tinyVit, outDim: 64, hiddenDim: 32, bottleneckDim: 16, localCrops: 2 });
    const d = await writeEndPictures(path.join(dir), dino, test, { maxImages: 40 });
    assert.deepEqual(await size(d.attention as string), grid(1 + 2, 8, 4)); // the image, then 2 heads
  });

  it('pretext methods add task.png: the task grid (inputs, targets, predictions) of the first test images', async () => {
    const colour = synthetic({ n: 40, channels: 3, size: 24, classes: 4, seed: 2 });
    try {
      torch.manualSeed(0);
      const jigsaw = new Jigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 4 }, numPermutations: 10, hiddenDim: 8 });
      const colorization = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 4 }, hiddenDim: 8 });
      colorization.augmentation({ size: 24, channels: 3, mean: colour.mean, std: colour.std, dataset: colour.name });
      for (const [name, method, count] of [['jigsaw', jigsaw, 4], ['colorization', colorization, 4]] as const) {
        const out = path.join(dir, `task-${name}`);
        fs.mkdirSync(out);
        const p = await writeEndPictures(out, method, colour, { maxImages: 40, seed: 3 });
        assert.equal(p.task, path.join(out, 'task.png'));
        // What the task builds for the first 8 embedded test images (rows 0..7 of 40), its draws seeded as the run's.
        const x = toFloatImages(colour.images.narrow(0, 0, 8));
        const { columns } = taskColumns(method, x, colour.mean, colour.std, new torch.Generator().manualSeed(3));
        assert.equal(columns.length, count);
        const cellH = Math.max(...columns.map((c) => c.shape[2]));
        const cellW = Math.max(...columns.map((c) => c.shape[3]));
        assert.deepEqual(await size(p.task as string), [(count * (cellW + 2) + 2) * 2, (8 * (cellH + 2) + 2) * 2]); // 24 px: x2
        const img = await unscaled(p.task as string, 2);
        for (const row of [0, 5]) {
          for (let j = 0; j < count; j++) {
            const c = columns[j].select(0, row);
            const want = c.clamp(0, 1).mul(255).round().div(255).expand([3, c.shape[1], c.shape[2]]);
            const got = gridCell(img, row, j, c.shape[1], c.shape[2], cellH, cellW);
            assert.ok((got.sub(want).abs().max().item() as number) < 1e-6, `${name} row ${row} column ${j}`);
          }
        }
        // The prediction column is the network's: it is not the target (untrained networks do not solve the task).
        assert.ok((columns[count - 1].sub(columns[count - 2]).abs().max().item() as number) > 0.01, `${name}: prediction vs target`);
      }
      jigsaw.dispose();
      colorization.dispose();
    } finally {
      disposeDataset(colour);
    }
  });

  it('the [CLS] attention is a softmax over the tokens: uniform when queries and keys are zero', () => {
    torch.manualSeed(0);
    const vit = tinyVit();
    const x = torch.randn([3, 1, 16, 16]);
    const maps = clsAttention(vit, x);
    assert.deepEqual(maps.shape, [3, 2, 4, 4]);
    const total = maps.sum([2, 3]).toArray() as number[][];
    total.flat().forEach((s) => assert.ok(s > 0 && s < 1, `patch share ${s}`)); // the rest goes to [CLS] itself
    const last = vit.blocks.at(1) as unknown as { attn: { qkv: { weight: torch.Tensor; bias: torch.Tensor } } };
    torch.noGrad(() => last.attn.qkv.weight.zero_());
    const uniform = clsAttention(vit, x);
    assert.ok(uniform.allclose(torch.full([3, 2, 4, 4], 1 / 17), { atol: 1e-6 }));
  });

  it('selfsup train writes them into the run folder when it has test data, and the dashboard lists them', async () => {
    const out = path.join(dir, 'run');
    const c = resolveRunConfig('simclr', { eval: false, data: 'synthetic', steps: 2, batchSize: 32, knnEvery: 1,
      encoderOptions: { width: 4 }, out });
    await runTrain(c, { progress: 'none', stream: { write: () => true }, print: () => undefined });
    for (const f of ['retrieval.png', 'embedding-map.png']) assert.ok(fs.existsSync(path.join(out, f)), f);
    assert.ok(!fs.existsSync(path.join(out, 'task.png')), 'SimCLR has no pretext task to draw');
    // The dashboard shows them (every PNG of the run folder).
    const images = summarizeRun(dir, 'run').images;
    assert.ok(images.includes('retrieval.png') && images.includes('embedding-map.png'), images.join(', '));
  });

  /** Pixels of a PNG whose channels differ by more than a few levels (a class colour; gray and black text do not). */
  const colouredPixels = async (file: string): Promise<number> => {
    const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let n = 0;
    for (let i = 0; i < data.length; i += info.channels) {
      if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 8) n++;
    }
    return n;
  };
  const quiet = { progress: 'none' as const, stream: { write: () => true }, print: () => undefined };

  it('selfsup train draws them always: without evaluation or k-NN from the test split, coloured by class', async () => {
    const out = path.join(dir, 'no-eval');
    const c = resolveRunConfig('simclr', { eval: false, data: 'synthetic', steps: 2, batchSize: 32, knnEvery: 0,
      encoderOptions: { width: 4 }, out });
    await runTrain(c, quiet);
    assert.deepEqual(await size(path.join(out, 'retrieval.png')), grid(9, 8, 3)); // 8 queries, 8 neighbours
    assert.ok(await colouredPixels(path.join(out, 'embedding-map.png')) > 100, 'the classes\' colours');
  });

  it('selfsup train on a folder of images without classes: the retrieval grid and a map without colours', async () => {
    const images = path.join(dir, 'unlabelled');
    fs.mkdirSync(images);
    for (let i = 0; i < 40; i++) {
      // Two kinds of picture (light and dark noise), and no subfolders: no labels.
      const pixels = Buffer.from(Array.from({ length: 16 * 16 * 3 }, (_, k) => ((k * 37 + i * 11) % 97) + (i % 2) * 150));
      await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path.join(images, `img${i}.png`));
    }
    const out = path.join(dir, 'folder-run');
    const c = resolveRunConfig('simclr', { eval: true, data: `folder:${images}`, imageSize: 16, steps: 2, batchSize: 16,
      knnEvery: 1, encoderOptions: { width: 4 }, out });
    await runTrain(c, quiet);
    assert.deepEqual(await size(path.join(out, 'retrieval.png')), grid(9, 8, 3));
    const map = path.join(out, 'embedding-map.png');
    const [w] = await size(map);
    assert.equal(w, 16 + 520 + 40, 'no legend');
    assert.equal(await colouredPixels(map), 0, 'gray dots only');
  });
});
