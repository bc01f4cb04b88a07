// `selfsup neighbors` by value, past what image-run-values covers (issue 21, lib/cli's mutation score, third
// pass), on a run folder written here without training (a seeded 4-wide small_cnn on the synthetic 16 px data):
// an image file as the query (decoded, embedded by the run's encoder, searched by cosine: the rows and scores of
// a brute-force search, its log lines, the grid's name and its exact PNG); a run folder's train split (embedded
// first, its log line, its grid of training images); the dataset an embedding file names (its split, an image
// folder at the recorded size or at 64 px) and the refusals of an image query without dataset or encoder; the
// saved index's freshness by modification time; targets that are not embedding files; rows out of range; no
// tensor left allocated; the log on stderr by default.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { encoderOptionsFor } from '../../lib/cli/train';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { RunConfig } from '../../lib/cli/run-config';
import { runNeighbors } from '../../lib/cli/neighbors';
import { loadEncoder } from '../../lib/cli/load-encoder';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset, ImageDataset, makeDataset } from '../../lib/data/dataset';
import { imageFolder } from '../../lib/data/image-folder';
import { writeImageGrid } from '../../lib/data/image-grid';
import { extractFeatures } from '../../lib/eval/features';
import { decodeQueryImage } from '../../lib/export/query-image';
import { readEmbeddingsAsync, writeEmbeddings } from '../../lib/export/embeddings-file';
import * as torch from '../../lib/torch';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { create as createModel } from '../../lib/models/registry';
import { messageOf } from '../helpers/refuses';

const norm = (v: number[]): number => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
const cos = (a: number[], b: number[]): number => a.reduce((x, v, j) => x + v * b[j], 0) / (norm(a) * norm(b));

/** The k rows of `rows` nearest to `q` by cosine, `skip` left out. */
function nearest(rows: number[][], q: number[], k: number, skip = -1): { row: number; s: number }[] {
  return rows.map((v, row) => ({ s: cos(v, q), row })).filter((x) => x.row !== skip).sort((a, b) => b.s - a.s).slice(0, k);
}

/** The bytes of the grid writeImageGrid makes of `images` (one column each) at scale 2. */
async function gridBytes(file: string, images: torch.Tensor[]): Promise<Buffer> {
  await writeImageGrid(file, images, { scale: 2 });
  return fs.readFileSync(file);
}

describe('cli: selfsup neighbors by value (image queries, splits, datasets, index freshness, leaks)', function () {
  this.timeout(120000);
  let dir = '';
  let out = '';
  let test: ImageDataset;
  let train: ImageDataset;
  const quiet = { log: () => undefined };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-neighbors-values-'));
    out = path.join(dir, 'run');
    fs.mkdirSync(out, { recursive: true });
    const c: RunConfig = { ...MAIN_JOB, data: 'synthetic', encoderOptions: { width: 4 }, epochs: undefined, steps: 1, batchSize: 32,
      knnEvery: 0, eval: true, out, methodOptions: { hiddenDim: 16, outDim: 8 } };
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ config: c }));
    torch.manualSeed(11);
    const encoder = createModel('small_cnn', encoderOptionsFor('small_cnn', [1, 1, 16, 16], { width: 4 }));
    saveSafetensors(path.join(out, 'encoder.safetensors'), encoder.stateDict());
    encoder.dispose();
    test = await loadDataSplit(parseDataSpec('synthetic'), 'test') as ImageDataset;
    train = await loadDataSplit(parseDataSpec('synthetic'), 'train') as ImageDataset;
  });
  after(() => {
    disposeDataset(test);
    disposeDataset(train);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an image file as the query: embedded by the run\'s encoder, the brute-force nearest rows, the log lines, the exact grid', async () => {
    const query = path.join(dir, 'my.query.png');
    const pixels = Buffer.from(Array.from({ length: 20 * 20 }, (_, i) => (i * 7) % 256));
    await sharp(pixels, { raw: { width: 20, height: 20, channels: 1 } }).png().toFile(query);
    const logged: string[] = [];
    const result = await runNeighbors(out, { query, k: 3, log: (l) => logged.push(l) });
    const file = path.join(out, 'embeddings-test.safetensors');
    // The reference: the same decoding and encoder, then a brute-force cosine search (the query is no row: none left out).
    const image = await decodeQueryImage(query, [1, 16, 16]);
    const { encoder } = loadEncoder(out, test.images.shape);
    const one = makeDataset({ name: query, images: image, mean: test.mean, std: test.std });
    const { features, labels } = extractFeatures(encoder, one);
    encoder.dispose();
    const rows = (await readEmbeddingsAsync(file)).embeddings.toArray() as number[][];
    const expected = nearest(rows, (features.toArray() as number[][])[0], 3);
    features.dispose();
    labels.dispose();
    assert.deepEqual(result.neighbors.map((n) => [n.row, n.id]), expected.map((x) => [x.row, x.row]));
    result.neighbors.forEach((n, i) => assert.ok(Math.abs(n.score - expected[i].s) < 1e-5, `${n.score} ${expected[i].s}`));
    const grid = path.join(out, 'neighbors-my.query.png');
    assert.deepEqual([result.embeddings, result.built, result.grid], [file, true, grid]);
    assert.equal(logged[0], `Wrote ${file}: 256 x 16 embeddings of synthetic/test (${/\((\d+) images\/s\)$/.exec(logged[0])?.[1]} images/s)`);
    assert.equal(logged[1], `query image ${query}, 3 nearest by cosine:`);
    assert.deepEqual(logged.slice(2, 5), result.neighbors.map((n, i) => `  ${i + 1}. row ${n.row}  ${test.classes![n.label]}  ${n.score.toFixed(4)}`));
    assert.equal(logged[5], `Wrote ${grid}: the query, then its neighbours`);
    const reference = await gridBytes(path.join(dir, 'ref-image.png'), [image, ...result.neighbors.map((n) => test.images.narrow(0, n.id, 1))]);
    assert.ok(fs.readFileSync(grid).equals(reference), 'the grid: the decoded query, then the neighbours\' images, at scale 2');
    image.dispose();
  });

  it('a run folder\'s train split: embedded first (logged), searched, its grid of training images', async () => {
    const logged: string[] = [];
    const result = await runNeighbors(out, { query: 3, k: 2, split: 'train', log: (l) => logged.push(l) });
    const file = path.join(out, 'embeddings-train.safetensors');
    assert.equal(result.embeddings, file);
    assert.match(logged[0], new RegExp(`^Wrote ${file.replace(/[/.]/g, '\\$&')}: 512 x 16 embeddings of synthetic/train \\(\\d+ images/s\\)$`));
    const e = await readEmbeddingsAsync(file);
    const rows = e.embeddings.toArray() as number[][];
    const expected = nearest(rows, rows[3], 2, 3);
    assert.deepEqual(result.neighbors.map((n) => n.row), expected.map((x) => x.row));
    e.embeddings.dispose(); e.labels.dispose(); e.ids.dispose();
    const reference = await gridBytes(path.join(dir, 'ref-train.png'),
      [train.images.narrow(0, 3, 1), ...expected.map((x) => train.images.narrow(0, x.row, 1))]);
    assert.ok(fs.readFileSync(path.join(out, 'neighbors-3.png')).equals(reference), 'the grid of the training images');
  });

  it('the dataset an embedding file names: its split, an image folder at the recorded size (or 64 px); image queries need it and the encoder', async () => {
    const vectors = torch.tensor([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.8, 0.3, 0], [0, 0, 1], [0.1, 0.9, 0.1]]);
    const ids = torch.arange(6);
    const labels = torch.tensor([0, 0, 1, 1, 2, 2], { dtype: 'int64' });
    const emb = (name: string, metadata: Record<string, string>): string => {
      const file = path.join(dir, name);
      writeEmbeddings(file, { embeddings: vectors, labels, ids, metadata });
      return file;
    };
    // An image folder of 6 images (3 classes), recorded at 12 px: the grid shows the folder's images at 12 px.
    const folder = path.join(dir, 'folder');
    for (let i = 0; i < 6; i++) {
      fs.mkdirSync(path.join(folder, `c${Math.floor(i / 2)}`), { recursive: true });
      await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 40 * i, g: 200 - 30 * i, b: 9 } } }).png()
        .toFile(path.join(folder, `c${Math.floor(i / 2)}`, `${i}.png`));
    }
    const grid = path.join(dir, 'neighbors-0.png');
    for (const [name, metadata, size] of [['folder12.safetensors', { dataset: `folder:${folder}`, split: 'train', imageSize: '12' }, 12],
      ['folder64.safetensors', { dataset: `folder:${folder}`, split: 'train' }, 64]] as const) {
      const result = await runNeighbors(emb(name, metadata), { query: 0, k: 2, ...quiet });
      assert.deepEqual(result.neighbors.map((n) => [n.row, n.label]), [[1, 0], [3, 1]]);
      assert.equal(result.grid, grid);
      const images = await imageFolder({ root: folder, size });
      const reference = await gridBytes(path.join(dir, `ref-${size}.png`), [0, 1, 3].map((i) => images.images.narrow(0, i, 1)));
      assert.ok(fs.readFileSync(grid).equals(reference), `${name}: the folder's images at ${size} px`);
      disposeDataset(images);
    }
    // A split that is neither train nor test, or no dataset: no grid.
    for (const metadata of [{ dataset: 'synthetic', split: 'val' }, { split: 'test' }] as Record<string, string>[]) {
      const file = emb('other.safetensors', metadata);
      const r = await runNeighbors(file, { query: 0, k: 2, ...quiet });
      assert.deepEqual([r.grid, r.neighbors.map((n) => n.row)], [undefined, [1, 3]], JSON.stringify(metadata));
    }
    // Image queries need the dataset, the encoder's file and its name.
    const query = path.join(dir, 'q.png');
    await sharp(Buffer.alloc(16 * 16, 80), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(query);
    const message = (what: string): string => `An image query needs the embedding file's dataset and encoder; this one names ${what}: ` +
      'embed with selfsup embed, or query a row';
    for (const [metadata, what] of [
      [{ dataset: 'synthetic', split: 'test', encoder: 'small_cnn' }, 'no encoder'],
      [{ dataset: 'synthetic', split: 'test', source: out }, 'no encoder'],
      [{ split: 'test', source: out, encoder: 'small_cnn' }, 'no dataset'],
    ] as const) {
      const file = emb('named.safetensors', metadata);
      assert.equal(await messageOf(() => runNeighbors(file, { query, ...quiet })), message(what), JSON.stringify(metadata));
    }
    vectors.dispose(); ids.dispose(); labels.dispose();
  });

  it('an image query of an embedding file made from a bare encoder file: the encoder and options its metadata names', async () => {
    const bare = path.join(dir, 'bare-encoder.safetensors');
    fs.copyFileSync(path.join(out, 'encoder.safetensors'), bare);
    const e = await readEmbeddingsAsync(await (async () => {
      const f = path.join(out, 'embeddings-test.safetensors');
      if (!fs.existsSync(f)) await runNeighbors(out, { query: 0, k: 1, ...quiet });
      return f;
    })());
    const file = path.join(dir, 'from-bare.safetensors');
    writeEmbeddings(file, { ...e, metadata: { ...e.metadata, source: bare, encoder: 'small_cnn',
      encoderOptions: JSON.stringify({ inChannels: 1, width: 4, numClasses: 0 }) } });
    const query = path.join(dir, 'bare-query.png');
    await sharp(Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 3) % 256)), { raw: { width: 16, height: 16, channels: 1 } })
      .png().toFile(query);
    const fromBare = await runNeighbors(file, { query, k: 3, ...quiet });
    const fromRun = await runNeighbors(out, { query, k: 3, ...quiet });
    assert.deepEqual(fromBare.neighbors, fromRun.neighbors);
    e.embeddings.dispose(); e.labels.dispose(); e.ids.dispose();
  });

  it('the saved index is loaded when not older than the embeddings (equal times too), built and saved again when older', async () => {
    const file = path.join(out, 'embeddings-test.safetensors');
    const index = `${file}.usearch`;
    if (!fs.existsSync(index)) await runNeighbors(out, { query: 1, k: 2, ...quiet });
    const t = new Date('2026-01-02T03:04:05Z');
    fs.utimesSync(file, t, t);
    fs.utimesSync(index, t, t);
    const same = await runNeighbors(out, { query: 1, k: 2, ...quiet });
    assert.equal(same.built, false);
    assert.equal(fs.statSync(index).mtimeMs, t.getTime(), 'a loaded index is not written again');
    fs.utimesSync(index, new Date(t.getTime() - 1000), new Date(t.getTime() - 1000));
    const older = await runNeighbors(out, { query: 1, k: 2, ...quiet });
    assert.equal(older.built, true);
    assert.ok(fs.statSync(index).mtimeMs > t.getTime(), 'the rebuilt index is saved');
    assert.deepEqual(older.neighbors, same.neighbors);
  });

  it('targets that are no embedding file, rows out of range, a run folder named like an embedding file', async () => {
    const txt = path.join(dir, 'table.npy.txt');
    fs.writeFileSync(txt, 'x');
    assert.equal(await messageOf(() => runNeighbors(txt, { query: 0, ...quiet })), `'${txt}' is neither an embedding file nor a run folder`);
    const file = path.join(out, 'embeddings-test.safetensors');
    for (const q of [-1, 1.5, 256]) {
      assert.equal(await messageOf(() => runNeighbors(out, { query: q, ...quiet })),
        `Expected a row in 0..255 for --query but received ${q} ('${file}' has 256 rows)`);
    }
    // A run folder whose name ends like an embedding file is still a run folder.
    const odd = path.join(dir, 'run.npy');
    fs.mkdirSync(odd);
    for (const f of ['config.json', 'encoder.safetensors']) fs.copyFileSync(path.join(out, f), path.join(odd, f));
    const r = await runNeighbors(odd, { query: 2, k: 2, ...quiet });
    assert.equal(r.embeddings, path.join(odd, 'embeddings-test.safetensors'));
    const again = await runNeighbors(out, { query: 2, k: 2, ...quiet });
    assert.deepEqual(r.neighbors, again.neighbors);
  });

  it('leaves no tensor allocated (row and image queries) and logs on stderr by default', async () => {
    const query = path.join(dir, 'leak.png');
    await sharp(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(query);
    await runNeighbors(out, { query: 4, k: 2, ...quiet });
    await runNeighbors(out, { query, k: 2, ...quiet });
    const before = torch.memory().tensors;
    await runNeighbors(out, { query: 4, k: 2, ...quiet });
    const afterRow = torch.memory().tensors;
    await runNeighbors(out, { query, k: 2, ...quiet });
    assert.deepEqual([afterRow, torch.memory().tensors], [before, before]);
    const lines: string[] = [];
    await runNeighbors(out, { query: 4, k: 2, log: (l) => lines.push(l) });
    let stderr = '';
    const err = process.stderr.write;
    process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof process.stderr.write;
    try {
      await runNeighbors(out, { query: 4, k: 2 });
    } finally {
      process.stderr.write = err;
    }
    assert.equal(stderr, lines.map((l) => `${l}\n`).join(''));
    assert.equal(lines.length, 4);
  });
});
