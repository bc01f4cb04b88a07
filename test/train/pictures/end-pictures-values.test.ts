// writeEndPictures by value: which test images it embeds (evenly spaced), the
// retrieval grid's cells (queries one per class first, then each query's
// nearest images by cosine similarity, itself left out) read back from the
// PNG, and what it hands the embedding map (features, labels, classes, seed,
// title), with nothing left allocated.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { synthetic } from '../../../lib/data/synthetic';
import { ImageDataset, disposeDataset } from '../../../lib/data/dataset';
import { SmallCnn } from '../../../lib/models/small-cnn';
import { SimCLR } from '../../../lib/ssl/simclr';
import { extractFeatures } from '../../../lib/eval/features';
import { exactCosineTopK } from '../../../lib/export/vector-index';
import * as embeddingMapModule from '../../../lib/train/pictures/embedding-map';
import { writeEndPictures } from '../../../lib/train/pictures/end-pictures';
import { settledTensorCount } from '../../helpers/tensors-left';

/** The grid PNG (16 px cells, padding 2, magnified 3x) back at scale 1: (H, W) uint8 of the gray channel. */
async function grid(file: string): Promise<Tensor> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const img = torch.tensor(Uint8Array.from(data), { shape: [info.height, info.width, info.channels] });
  return img.view([info.height / 3, 3, info.width / 3, 3, info.channels]).select(3, 0).select(1, 0).select(2, 0);
}
const cellOf = (img: Tensor, row: number, col: number): number[] =>
  [...img.narrow(0, 2 + row * 18, 16).narrow(1, 2 + col * 18, 16).contiguous().toTypedArray()].map(Number);

describe('train/pictures: writeEndPictures by value', function () {
  this.timeout(60_000);
  let dir: string;
  let test: ImageDataset;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-end-pictures-'));
    test = synthetic({ n: 30, channels: 1, size: 16, classes: 4, seed: 5 });
  });
  after(() => {
    disposeDataset(test);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the retrieval grid: queries one per class first, then their nearest images (not themselves); the map\'s inputs', async () => {
    torch.manualSeed(0);
    const method = new SimCLR({ encoder: new SmallCnn({ inChannels: 1, width: 4 }), hiddenDim: 8, outDim: 4 });
    const mutable = embeddingMapModule as unknown as { writeEmbeddingMap: typeof embeddingMapModule.writeEmbeddingMap };
    const real = mutable.writeEmbeddingMap;
    const calls: unknown[][] = [];
    mutable.writeEmbeddingMap = async (...args) => {
      calls.push(args);
      return { width: 0, height: 0 };
    };
    // Settled first: garbage of earlier tests finalized during the awaits would make the count drop (seen in sid).
    const live = await settledTensorCount();
    let result;
    try {
      result = await writeEndPictures(dir, method, test, { maxImages: 20, queries: 6, neighbors: 3, seed: 9 });
    } finally {
      mutable.writeEmbeddingMap = real;
    }
    assert.equal(torch.memory().tensors, live);
    assert.deepEqual(result, { retrieval: path.join(dir, 'retrieval.png'), embeddingMap: path.join(dir, 'embedding-map.png') });
    // 20 of 30 images, evenly spaced: floor(i * 30 / 20).
    const rows = Array.from({ length: 20 }, (_, i) => Math.floor((i * 30) / 20));
    const { features, labels } = extractFeatures(method.encoder, test, { indices: torch.tensor(rows, { dtype: 'int64' }), batchSize: 256 });
    const labelList = (labels.toArray() as number[]).map(Number);
    const firsts = [...new Set(labelList)].map((l) => labelList.indexOf(l));
    const queries = [...firsts, ...labelList.map((_, i) => i).filter((i) => !firsts.includes(i))].slice(0, 6);
    assert.equal(new Set(queries.slice(0, 4).map((q) => labelList[q])).size, 4);
    const found = exactCosineTopK(features, features.indexSelect(0, torch.tensor(queries, { dtype: 'int64' })), 4);
    const img = await grid(result.retrieval);
    assert.deepEqual(img.shape, [6 * 18 + 2, 4 * 18 + 2]);
    queries.forEach((q, r) => {
      const shown = [q, ...[...found.indices[r]].filter((x) => x !== q).slice(0, 3)];
      shown.forEach((s, c) => assert.deepEqual(cellOf(img, r, c), [...test.images.select(0, rows[s]).flatten().toTypedArray()].map(Number),
        `row ${r} column ${c}`));
    });
    // The map gets every embedded image's features and label, the classes, the seed and a title naming the run.
    assert.equal(calls.length, 1);
    const [file, feats, labs, classes, options] = calls[0] as [string, number[][], number[], string[], Record<string, unknown>];
    assert.equal(file, path.join(dir, 'embedding-map.png'));
    assert.deepEqual(feats, features.toArray());
    assert.deepEqual(labs, labelList);
    assert.deepEqual(classes, test.classes);
    assert.deepEqual(options, { seed: 9, title: `simclr embeddings of ${test.name} (UMAP, 20 images)` });
  });

  it('more images asked than there are: all of them; the neighbours capped at the images less one; refusals by name', async () => {
    const small = synthetic({ n: 5, channels: 1, size: 16, classes: 2, seed: 6 });
    try {
      torch.manualSeed(1);
      const method = new SimCLR({ encoder: new SmallCnn({ inChannels: 1, width: 4 }), hiddenDim: 8, outDim: 4 });
      const r = await writeEndPictures(dir, method, small, { maxImages: 100, queries: 8, neighbors: 8, seed: 1 });
      const img = await grid(r.retrieval);
      assert.deepEqual(img.shape, [5 * 18 + 2, 5 * 18 + 2]); // 5 queries (all images), each with its 4 others
      await assert.rejects(writeEndPictures(dir, method, small, { maxImages: 0 }), /writeEndPictures options\.maxImages/);
      await assert.rejects(writeEndPictures(dir, method, small, { neighbors: 0 }), /writeEndPictures options\.neighbors/);
    } finally {
      disposeDataset(small);
    }
  });
});
