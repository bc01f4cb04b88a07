import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../lib/torch';
import { SmallCnn } from '../../lib/models/small-cnn';
import { extractFeatures } from '../../lib/eval/features';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset } from '../../lib/data/dataset';
import { decodeNpy, encodeNpy } from '../../lib/export/npy';
import { npySiblings, readEmbeddings, writeEmbeddings } from '../../lib/export/embeddings-file';
import { exactCosineTopK, recallAtK, SERIAL_BUILD_ROWS, VectorIndex } from '../../lib/export/vector-index';
import { runEmbed } from '../../lib/cli/embed';
import { runNeighbors } from '../../lib/cli/neighbors';
import { program } from '../../lib/cli/main';
import { PYTHON } from '../helpers/python-reference';
import { makeSyntheticRun } from './synthetic-run';

describe('export: embedding files and the vector index', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-embed-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const quiet = (): void => undefined;

  it('writes .npy files that numpy.load reads back with the same values, shapes and dtypes', () => {
    const x = torch.randn([5, 3]);
    const file = path.join(dir, 'emb.npy');
    writeEmbeddings(file, { embeddings: x, labels: torch.tensor([0, 1, 2, 1, -1]).to('int64'),
      ids: torch.tensor([10, 11, 12, 13, 14]).to('int64'), metadata: {} });
    const py = execFileSync(PYTHON, ['-c', [
      'import numpy as np, json, sys',
      `e = np.load(${JSON.stringify(file)}); l = np.load(${JSON.stringify(npySiblings(file).labels)})`,
      `i = np.load(${JSON.stringify(npySiblings(file).ids)})`,
      'print(json.dumps({"shape": e.shape, "dtype": str(e.dtype), "values": e.ravel().tolist(),',
      '  "labels": l.tolist(), "ldtype": str(l.dtype), "ids": i.tolist()}))',
    ].join('\n')], { encoding: 'utf8' });
    const got = JSON.parse(py) as { shape: number[]; dtype: string; values: number[]; labels: number[]; ldtype: string; ids: number[] };
    assert.deepEqual(got.shape, [5, 3]);
    assert.equal(got.dtype, 'float32');
    assert.deepEqual(got.values, [...(x.toTypedArray() as Float32Array)]);
    assert.deepEqual(got.labels, [0, 1, 2, 1, -1]);
    assert.equal(got.ldtype, 'int64');
    assert.deepEqual(got.ids, [10, 11, 12, 13, 14]);
    const back = readEmbeddings(file);
    assert.ok(back.embeddings.equal(x));
    assert.deepEqual(back.labels.toArray(), [0, 1, 2, 1, -1]);
  });

  it('reads .npy files that numpy.save wrote (odd header lengths, 1-d and 3-d)', () => {
    const file = path.join(dir, 'np.npy');
    execFileSync(PYTHON, ['-c', `import numpy as np; np.save(${JSON.stringify(file)}, ` +
      'np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7)']);
    const d = decodeNpy(fs.readFileSync(file));
    assert.deepEqual(d.shape, [2, 3, 4]);
    assert.deepEqual([...d.data as Float32Array], Array.from({ length: 24 }, (_, i) => Math.fround(i / 7)));
    assert.deepEqual(decodeNpy(encodeNpy(new Int32Array([7, -8]), [2])).data, new Int32Array([7, -8]));
    assert.throws(() => decodeNpy(Buffer.from('not numpy at all')), /not a \.npy file/);
    assert.throws(() => writeEmbeddings(path.join(dir, 'x.csv'), { embeddings: torch.zeros([1, 1]),
      labels: torch.zeros([1]), ids: torch.zeros([1]), metadata: {} }), /Unknown embedding file extension '\.csv'/);
  });

  it('selfsup embed writes the encoder\'s features of every image, by value, with labels, ids and metadata', async () => {
    const run = path.join(dir, 'run-a');
    const encoder = makeSyntheticRun(run);
    const result = await runEmbed(run, { split: 'test', log: quiet });
    assert.equal(result.file, path.join(run, 'embeddings-test.safetensors'));
    const test = await loadDataSplit(parseDataSpec('synthetic'), 'test');
    assert.ok(test);
    const expected = extractFeatures(encoder, test);
    const got = readEmbeddings(result.file);
    assert.deepEqual(got.embeddings.shape, [256, 16]);
    assert.ok(got.embeddings.allclose(expected.features, { rtol: 1e-5, atol: 1e-6 }));
    assert.ok(got.labels.equal(expected.labels));
    assert.deepEqual(got.ids.toArray(), Array.from({ length: 256 }, (_, i) => i));
    assert.equal(got.metadata.dataset, 'synthetic');
    assert.equal(got.metadata.encoder, 'small_cnn');
    // The same through the command line, as .npy, limited to 10 images.
    const npy = path.join(dir, 'cli.npy');
    await program().exitOverride().parseAsync(['embed', run, '--out', npy, '--limit', '10', '--batch-size', '3'], { from: 'user' });
    const d = decodeNpy(fs.readFileSync(npy));
    assert.deepEqual(d.shape, [10, 16]);
    assert.ok(torch.tensor(d.data as Float32Array, { shape: d.shape }).allclose(expected.features.narrow(0, 0, 10), { rtol: 1e-5, atol: 1e-6 }));
    disposeDataset(test);
    await assert.rejects(runEmbed(path.join(dir, 'nowhere'), { log: quiet }), /No such run folder or file/);
  });

  it('a small index is the same every time it is built: one thread (usearch\'s concurrent insertion varied and missed neighbours)', () => {
    torch.manualSeed(7);
    const x = torch.randn([60, 32]);
    const q = x.narrow(0, 0, 60);
    const exact = exactCosineTopK(x, q, 4);
    const seen = new Set<string>();
    for (let b = 0; b < 30; b++) {
      const found = VectorIndex.build(x).search(q, 4);
      seen.add(found.indices.map((r) => r.join(',')).join(';'));
      assert.equal(recallAtK(found, exact), 1, `build ${b}`);
    }
    assert.equal(seen.size, 1, 'one answer for 30 builds');
    assert.equal(SERIAL_BUILD_ROWS, 10_000);
  });

  it('exact cosine top-k equals a brute-force loop; the usearch index finds the same neighbours and survives a save', () => {
    torch.manualSeed(0);
    const x = torch.randn([300, 8]);
    const q = x.narrow(0, 0, 20);
    const exact = exactCosineTopK(x, q, 5);
    const rows = x.toArray() as number[][];
    const cos = (a: number[], b: number[]) => {
      let ab = 0; let aa = 0; let bb = 0;
      for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
      return ab / Math.sqrt(aa * bb);
    };
    for (let i = 0; i < 20; i++) {
      const order = rows.map((r, j) => [cos(rows[i], r), j]).sort((a, b) => b[0] - a[0]).slice(0, 5);
      assert.deepEqual([...exact.indices[i]], order.map((o) => o[1]));
      order.forEach(([s], j) => assert.ok(Math.abs(exact.scores[i][j] - s) < 1e-5));
    }
    const index = VectorIndex.build(x);
    assert.equal(index.size(), 300);
    const approx = index.search(q, 5);
    assert.ok(recallAtK(approx, exact) >= 0.95, `recall ${recallAtK(approx, exact)}`);
    approx.scores.forEach((s, i) => assert.ok(Math.abs(s[0] - 1) < 1e-5 && approx.indices[i][0] === i));
    const file = path.join(dir, 'x.usearch');
    index.save(file);
    const loaded = VectorIndex.load(file, 8);
    assert.deepEqual(loaded.search(q, 5).indices, approx.indices);
    assert.throws(() => VectorIndex.load(file, 9), /holds 8-d vectors but the embeddings are 9-d/);
    assert.throws(() => index.search(torch.zeros([1, 3]), 2), /shape \(N, 8\)/);
  });

  it('selfsup neighbors builds the index once, saves it beside the embeddings and writes the grid', async () => {
    const run = path.join(dir, 'run-b');
    makeSyntheticRun(run);
    const lines: string[] = [];
    const first = await runNeighbors(run, { query: 7, k: 4, log: (l) => lines.push(l) });
    assert.equal(first.built, true);
    assert.ok(fs.existsSync(first.index));
    const emb = readEmbeddings(first.embeddings);
    const exact = exactCosineTopK(emb.embeddings, emb.embeddings.narrow(0, 7, 1), 5);
    assert.deepEqual(first.neighbors.map((n) => n.row), [...exact.indices[0]].filter((r) => r !== 7).slice(0, 4));
    const again = await runNeighbors(run, { query: 7, k: 4, log: quiet });
    assert.equal(again.built, false);
    assert.deepEqual(again.neighbors, first.neighbors);
    const meta = await sharp(first.grid as string).metadata();
    assert.deepEqual([meta.width, meta.height], [(5 * 18 + 2) * 2, (18 + 2) * 2]); // 5 cells of 16 px + 2 padding
    assert.match(lines.join('\n'), /query row 7 .*4 nearest by cosine/);
    await assert.rejects(runNeighbors(run, { query: 9999, log: quiet }), /Expected a row in 0\.\.255 for --query/);
  });

  it('selfsup neighbors --query <image file>: decoded and embedded as the data was, it finds its own row first', async () => {
    const run = path.join(dir, 'run-q');
    makeSyntheticRun(run);
    const test = await loadDataSplit(parseDataSpec('synthetic'), 'test');
    assert.ok(test);
    const [, c, h, w] = test.images.shape;
    const png = path.join(dir, 'query.png');
    // Row 12 of the test split as a PNG at twice the size: the decoder scales it back to the data's 16 px.
    const pixels = Buffer.from(test.images.narrow(0, 12, 1).contiguous().toTypedArray() as Uint8Array);
    await sharp(pixels, { raw: { width: w, height: h, channels: c as 1 } }).resize(2 * w, 2 * h, { kernel: 'nearest' }).png().toFile(png);
    disposeDataset(test);
    const lines: string[] = [];
    await program().exitOverride().parseAsync(['neighbors', run, '--query', png, '-k', '3'], { from: 'user' });
    const r = await runNeighbors(run, { query: png, k: 3, log: (l) => lines.push(l) });
    assert.equal(r.neighbors[0].row, 12);
    assert.ok(Math.abs(r.neighbors[0].score - 1) < 1e-3, `score ${r.neighbors[0].score}`);
    assert.equal(r.neighbors.length, 3);
    assert.equal(r.grid, path.join(run, 'neighbors-query.png'));
    const meta = await sharp(r.grid as string).metadata();
    assert.deepEqual([meta.width, meta.height], [(4 * 18 + 2) * 2, (18 + 2) * 2]);
    assert.match(lines.join('\n'), /query image .*query\.png, 3 nearest/);
    await assert.rejects(program().exitOverride().parseAsync(['neighbors', run, '--query', 'nope.png'], { from: 'user' }),
      /Expected a row number or an image file for --query but received 'nope\.png'/);
    fs.writeFileSync(path.join(dir, 'bad.png'), 'not an image');
    await assert.rejects(runNeighbors(run, { query: path.join(dir, 'bad.png'), log: quiet }), /Cannot decode the query image/);
  });

  it('the HNSW index recalls the exact top-10 on Fashion-MNIST test features (random small_cnn)', async function () {
    this.timeout(300000);
    const test = await loadDataSplit(parseDataSpec('fashion-mnist'), 'test');
    assert.ok(test);
    torch.manualSeed(0);
    const encoder = new SmallCnn({ inChannels: 1, width: 16 });
    const { features, labels } = extractFeatures(encoder, test, { batchSize: 1000 });
    disposeDataset(test);
    const index = VectorIndex.build(features);
    const queries = features.narrow(0, 0, 1000);
    const recall = recallAtK(index.search(queries, 10), exactCosineTopK(features, queries, 10));
    console.log(`      usearch HNSW recall@10 on 1,000 Fashion-MNIST test queries over 10,000: ${recall.toFixed(4)}`);
    assert.ok(recall >= 0.97, `recall@10 ${recall}`);
    [features, labels].forEach((t) => t.dispose());
  });
});
