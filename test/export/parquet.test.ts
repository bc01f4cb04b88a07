// Parquet embedding files: written by hyparquet-writer, read back by two
// independent readers, hyparquet (JavaScript) and parquet-wasm (Apache
// arrow-rs's parquet crate compiled to WebAssembly, decoded with apache-arrow),
// and compared by value with the safetensors file of the same run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { readParquet } from 'parquet-wasm';
import { tableFromIPC } from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { SmallCnn } from '../../lib/models/small-cnn';
import { saveSafetensors } from '../../lib/torch/safetensors';
import * as torch from '../../lib/torch';
import { runEmbed } from '../../lib/cli/embed';
import { readEmbeddings, readEmbeddingsAsync } from '../../lib/export/embeddings-file';
import { runNeighbors } from '../../lib/cli/neighbors';
import { program } from '../../lib/cli/main';
import { makeSyntheticRun } from './synthetic-run';

type Row = { id: bigint; label: bigint; class: string | null; file: string | null; embedding: number[] };

/** The rows as parquet-wasm (arrow-rs) reads them. */
function readWithArrowRs(file: string): Row[] {
  const table = tableFromIPC(readParquet(new Uint8Array(fs.readFileSync(file))).intoIPCStream());
  return table.toArray().map((r) => {
    const o = r.toJSON() as Record<string, unknown>;
    return { id: o.id as bigint, label: o.label as bigint, class: o.class as string | null, file: o.file as string | null,
      embedding: Array.from(o.embedding as Iterable<number>) };
  });
}

async function readWithHyparquet(file: string): Promise<{ rows: Row[]; kv: Record<string, string> }> {
  const bytes = fs.readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const rows = await parquetReadObjects({ file: buffer }) as unknown as Row[];
  const kv = Object.fromEntries((parquetMetadata(buffer).key_value_metadata ?? []).map((e) => [e.key, e.value ?? '']));
  return { rows, kv };
}

describe('export: Parquet embedding files', function () {
  this.timeout(120000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-parquet-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const quiet = (): void => undefined;

  it('selfsup embed --out x.parquet: both readers see the safetensors file\'s rows, labels, class names and metadata', async () => {
    const run = path.join(dir, 'run');
    makeSyntheticRun(run);
    const file = path.join(dir, 'e.parquet');
    await program().exitOverride().parseAsync(['embed', run, '--out', file, '--limit', '50'], { from: 'user' });
    await runEmbed(run, { out: path.join(dir, 'e.safetensors'), limit: 50, log: quiet });
    const ref = readEmbeddings(path.join(dir, 'e.safetensors'));
    const values = ref.embeddings.toArray() as number[][];
    const labels = ref.labels.toArray() as number[];
    const classes = JSON.parse(ref.metadata.classes) as string[];
    const { rows, kv } = await readWithHyparquet(file);
    for (const got of [rows, readWithArrowRs(file)]) {
      assert.equal(got.length, 50);
      got.forEach((r, i) => {
        assert.equal(Number(r.id), i);
        assert.equal(Number(r.label), labels[i]);
        assert.equal(r.class, classes[labels[i]]);
        assert.equal(r.file ?? null, null); // synthetic data has no files
        assert.deepEqual(r.embedding, values[i].map(Math.fround)); // float32, bit for bit
      });
    }
    assert.equal(kv.format, 'selfsup-embeddings');
    assert.equal(kv.dataset, 'synthetic');
    assert.equal(kv.encoder, 'small_cnn');
    assert.throws(() => readEmbeddings(file), /Parquet embedding files are read asynchronously: use readEmbeddingsAsync/);
  });

  it('selfsup reads its Parquet back: readEmbeddingsAsync equals the safetensors file, and neighbors searches it', async () => {
    const run = path.join(dir, 'run-back');
    makeSyntheticRun(run);
    const pq = path.join(dir, 'back.parquet');
    const st = path.join(dir, 'back.safetensors');
    await runEmbed(run, { out: pq, limit: 60, log: quiet });
    await runEmbed(run, { out: st, limit: 60, log: quiet });
    const a = await readEmbeddingsAsync(pq);
    const b = readEmbeddings(st);
    try {
      assert.deepEqual(a.embeddings.shape, b.embeddings.shape);
      assert.ok(a.embeddings.equal(b.embeddings), 'float32 values bit for bit');
      assert.deepEqual(a.labels.toArray(), b.labels.toArray());
      assert.deepEqual(a.ids.toArray(), b.ids.toArray());
      assert.deepEqual(a.metadata, b.metadata);
      assert.equal(a.files, undefined); // synthetic data has no files
    } finally {
      [a, b].forEach((e) => [e.embeddings, e.labels, e.ids].forEach((t) => t.dispose()));
    }
    const fromParquet = await runNeighbors(pq, { query: 7, k: 4, log: quiet });
    const fromSafetensors = await runNeighbors(st, { query: 7, k: 4, log: quiet });
    assert.equal(fromParquet.index, `${pq}.usearch`);
    assert.deepEqual(fromParquet.neighbors, fromSafetensors.neighbors);
    await program().exitOverride().parseAsync(['neighbors', pq, '--query', '3', '-k', '2'], { from: 'user' });
  });

  it('reading Parquet that is not an embedding file names the file and what is wrong', async () => {
    const junk = path.join(dir, 'junk.parquet');
    fs.writeFileSync(junk, 'not parquet at all');
    await assert.rejects(readEmbeddingsAsync(junk), /'.*junk\.parquet' is not a Parquet file/);
    const other = path.join(dir, 'other.parquet');
    fs.writeFileSync(other, Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'x', data: [1, 2], type: 'INT32' }] })));
    await assert.rejects(readEmbeddingsAsync(other), /'.*other\.parquet' is not an embedding file: expected the columns id, label and embedding but it has x/);
    await assert.rejects(readEmbeddingsAsync(path.join(dir, 'none.parquet')), /No embedding file '.*none\.parquet'/);
  });

  it('image folders: the file column holds each image\'s path in the folder, in dataset order', async () => {
    const data = path.join(dir, 'images');
    const names: string[] = [];
    for (const [c, cls] of ['boots', 'coats'].entries()) {
      fs.mkdirSync(path.join(data, cls), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const f = path.join(cls, `im${i}.png`);
        names.push(f);
        await sharp(Buffer.alloc(8 * 8 * 3, 40 * i + 100 * c), { raw: { width: 8, height: 8, channels: 3 } }).png()
          .toFile(path.join(data, f));
      }
    }
    torch.manualSeed(0);
    const encoderFile = path.join(dir, 'rgb.safetensors');
    saveSafetensors(encoderFile, new SmallCnn({ inChannels: 3, width: 4 }).stateDict());
    const out = path.join(dir, 'folder.parquet');
    await runEmbed(encoderFile, { data: `folder:${data}`, split: 'train', encoder: 'small_cnn', encoderOptions: { width: 4 },
      out, log: quiet });
    const rows = readWithArrowRs(out);
    assert.deepEqual(rows.map((r) => r.file), names);
    assert.deepEqual(rows.map((r) => r.class), ['boots', 'boots', 'boots', 'coats', 'coats', 'coats']);
    assert.equal(rows[0].embedding.length, 16);
    const back = await readEmbeddingsAsync(out);
    assert.deepEqual(back.files, names); // by id, as writeEmbeddings takes them
    assert.deepEqual(JSON.parse(back.metadata.classes), ['boots', 'coats']);
    [back.embeddings, back.labels, back.ids].forEach((t) => t.dispose());
    fs.rmSync(path.join(data), { recursive: true });
  });
});
